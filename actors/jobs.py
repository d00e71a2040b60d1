"""The side-effects job worker: runs the durable jobs that confirm enqueues, for every tenant.

Tasks (all in the worker's own nursery, STYLE.md §2):

* ``runners`` runner tasks: each claims the next job (``store.jobs.claim`` leases it; tenants are
  visited round-robin, and within a tenant its queue buckets, one per cluster slot), runs the handler under a deadline, then ``jobs.complete`` with the results.
  A failed attempt waits a back-off (while still holding the lease, so no other worker takes it
  meanwhile), then ``jobs.fail`` re-queues it, or marks it FAILED after ``max_attempts``. With
  nothing to do a runner sleeps ``poll_s``, or less when :meth:`JobWorker.notify` (called after a
  confirm in this process) wakes it.
* a recoverer: ``jobs.recover`` at start-up and every ``recover_every_s``: jobs whose lease ran out
  (their worker was killed, or lost the store mid-job) go back on the queue.
* a sweeper: ``coupons.sweep_reservations`` every ``sweep_every_s`` (expired coupon reservations
  return to ACTIVE even when nobody touches the code).

Delivery is at least once and every effect is idempotent per job (see actors.side_effects), so a
job cancelled half-way by a shutdown is simply leased until its lease runs out, then recovered and
run again by any worker; nothing is lost and nothing happens twice.

Two ways to run it::

    async with open_job_worker(store, tenants, handler) as worker: ...  # owns its nursery
    worker = await start_job_worker(nursery, store, tenants, handler)   # caller's nursery;
    ...; await worker.aclose()                                           # stop it
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import trio

from actors.kit import ScopedActor, open_actor
from actors.store import Store
from dre.store.records import ClaimedJob

log = logging.getLogger("dre.jobs")

Handler = Callable[[str, ClaimedJob], Awaitable[str]]  # (tenant, job) -> results JSON


@dataclass(frozen=True)
class JobSettings:
    runners: int = 2  # jobs run concurrently per process (each is a few store calls)
    poll_s: float = 0.5  # idle runners look at the queues this often (notify wakes them sooner)
    lease_s: float = 30.0  # a claimed job must finish within this, else it is recovered and re-run
    job_timeout_s: float = 20.0  # the handler's deadline; below lease_s so a slow job fails first
    max_attempts: int = 5  # attempts before a job is marked FAILED
    backoff_s: float = 0.5  # first retry delay; doubles per attempt
    backoff_max_s: float = 8.0  # kept well below lease_s: the job is still leased while we wait
    recover_every_s: float = 5.0  # how often expired leases are looked for (also at start-up)
    sweep_every_s: float = 5.0  # how often expired coupon reservations are released
    store_down_s: float = 1.0  # pause of a runner after the store refused a claim (breaker open)
    ordered: bool = False  # claim the oldest job of all queue buckets (a look at each first), one
    # runner at a time, and start each job's handler only once the one claimed before it finished
    # (its runner completes it meanwhile): handlers run in queue order, and several runners overlap
    # the claim of the next job and the completion of the last with the handler of this one

    def backoff(self, attempts: int) -> float:
        return min(self.backoff_s * 2 ** max(0, attempts - 1), self.backoff_max_s, self.lease_s / 2)


class JobWorker(ScopedActor):
    """Handle of a running worker. Built by :func:`start_job_worker`, never directly.

    ``await worker.aclose()`` stops every task of the worker (jobs in flight stay leased and are
    recovered later). Idempotent.
    """

    def __init__(self, store: Store, tenants: Sequence[str], handler: Handler, settings: JobSettings) -> None:
        super().__init__()
        self._store = store
        self._tenants = tuple(dict.fromkeys(tenants))
        self._handler = handler
        self.settings = settings
        self._wake = trio.Event()
        self._next_tenant = 0
        self._claiming = trio.Lock()  # ordered: claims one at a time
        self._handled: trio.Event | None = None  # ordered: set once the handler of the last claim ended
        self.completed = 0  # jobs this worker completed (metrics, tests)
        self.failed_attempts = 0

    def notify(self) -> None:
        """A job was just enqueued: wake idle runners now instead of at their next poll."""
        self._wake.set()

    async def run(self, task_status: trio.TaskStatus["JobWorker"] = trio.TASK_STATUS_IGNORED) -> None:
        """Run until cancelled or :meth:`aclose`. ``started`` at once: the first recovery runs in
        the background, so a store that is down or slow does not hold up the service's start-up."""
        with self.cancel_scope:
            async with trio.open_nursery() as nursery:
                for _ in range(self.settings.runners):
                    nursery.start_soon(self._runner)
                nursery.start_soon(self._every, self.settings.recover_every_s, self._recover_once, True)
                nursery.start_soon(self._every, self.settings.sweep_every_s, self._sweep_once, False)
                task_status.started(self)

    # -- runners -----------------------------------------------------------------------------

    async def _runner(self) -> None:
        while True:
            after = handled = None
            try:
                if self.settings.ordered:
                    async with self._claiming:
                        claimed = await self._claim_any()
                        if claimed is not None:  # this job's handler comes after the last one's
                            after, handled = self._handled, trio.Event()
                            self._handled = handled
                else:
                    claimed = await self._claim_any()
            except Exception as exc:  # noqa: BLE001 - 503 or any store fault: pause, try again
                self._store.faults.record("jobs.claim", exc)
                await trio.sleep(self.settings.store_down_s)
                continue
            if claimed is None:
                await self._idle()
                continue
            await self._run_one(*claimed, after=after, handled=handled)

    async def _idle(self) -> None:
        with trio.move_on_after(self.settings.poll_s):
            await self._wake.wait()
        if self._wake.is_set():
            self._wake = trio.Event()  # every runner waiting on the old one was woken

    async def _claim_any(self) -> tuple[str, ClaimedJob] | None:
        """The next job of any tenant, starting after the tenant served last (fairness)."""
        n = len(self._tenants)
        for i in range(n):
            tenant = self._tenants[(self._next_tenant + i) % n]
            job = await self._store.jobs.claim(tenant, lease_s=self.settings.lease_s, ordered=self.settings.ordered)
            if job is not None:
                self._next_tenant = (self._next_tenant + i + 1) % n
                return tenant, job
        return None

    async def _run_one(self, tenant: str, job: ClaimedJob, after: trio.Event | None = None,
                       handled: trio.Event | None = None) -> None:
        """Run one job's handler (once ``after`` is set: the previous claim's handler ended, ordered)
        and complete it; ``handled`` is set when the handler ended, however."""
        try:
            try:
                if after is not None:
                    await after.wait()
                with trio.fail_after(self.settings.job_timeout_s):
                    results = await self._handler(tenant, job)
            finally:
                if handled is not None:
                    handled.set()
            await self._store.jobs.complete(tenant, job.job_id, results)
            self.completed += 1
        except Exception as exc:  # noqa: BLE001 - any failure of a job is retried; Cancelled is not caught
            self.failed_attempts += 1
            log.warning("side-effects job failed", extra={"tenant": tenant, "job": job.job_id,
                                                          "attempt": job.attempts, "error": repr(exc)})
            await trio.sleep(self.settings.backoff(job.attempts))
            try:
                status = await self._store.jobs.fail(tenant, job.job_id, repr(exc)[:500],
                                                     max_attempts=self.settings.max_attempts)
            except Exception as fault:  # noqa: BLE001 - the lease runs out and the recoverer re-queues it
                self._store.faults.record("jobs.fail", fault)
                return
            if status == "FAILED":
                log.error("side-effects job gave up", extra={"tenant": tenant, "job": job.job_id})

    # -- periodic ----------------------------------------------------------------------------

    async def _every(self, period_s: float, step: Callable[[], Awaitable[None]], at_once: bool) -> None:
        if not at_once:
            await trio.sleep(period_s)
        while True:
            try:
                await step()
            except Exception as exc:  # noqa: BLE001 - store down or any fault: the next round retries
                self._store.faults.record(f"jobs.{step.__name__.strip('_').removesuffix('_once')}", exc)
            await trio.sleep(period_s)

    async def _recover_once(self) -> None:
        for tenant in self._tenants:
            n = await self._store.jobs.recover(tenant)
            if n:
                log.info("side-effects jobs recovered", extra={"tenant": tenant, "count": n})
                self.notify()

    async def _sweep_once(self) -> None:
        for tenant in self._tenants:
            await self._store.coupons.sweep_reservations(tenant)


async def start_job_worker(nursery: trio.Nursery, store: Store, tenants: Sequence[str], handler: Handler,
                           settings: JobSettings | None = None) -> JobWorker:
    """Start the worker in ``nursery``; returns once its tasks run. Stop it with ``await worker.aclose()``
    (or by cancelling ``nursery``). The store must outlive it."""
    worker = JobWorker(store, tenants, handler, settings or JobSettings())
    return await nursery.start(worker.run)


def open_job_worker(store: Store, tenants: Sequence[str], handler: Handler,
                    settings: JobSettings | None = None) -> AbstractAsyncContextManager[JobWorker]:
    """``async with open_job_worker(...) as worker``: the worker runs for the block (own nursery,
    :func:`actors.kit.open_actor`); leaving the block stops it (cancellation; jobs in flight are
    recovered later)."""
    return open_actor(start_job_worker, store, tenants, handler, settings)
