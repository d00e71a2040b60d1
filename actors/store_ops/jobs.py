"""The durable side-effects job queue (enqueued by confirm.lua).

Delivery is at least once: a claimed job is leased; a worker that dies leaves its lease to run
out, and the job is claimable again. A confirm writes its job HELD when it seals the transaction
and queues it before it commits, so no commit lands without a queued job (actors/store_ops/
transactions.py); a job whose confirm never committed is dropped from the queue. Completion is idempotent per job id, and every side
effect a job performs is itself idempotent (coupons are claimed inside confirm, points are
booked once per event key), so each confirmed job's effects happen exactly once.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.client import Pipeline

from actors.store_ops.base import DAY_S, DONE_MARKER_TTL_S, StorePart, ms
from actors.store_ops.confirmed import read_confirmed
from dre.store import keys
from dre.store.records import ClaimedJob, now_ms

JOB_LEASE_S = 60.0  # a worker must finish (or fail) a job within this, else it is re-queued
MAX_ATTEMPTS = 5  # attempts before a job is marked FAILED
RECOVER_BATCH = 1000  # leases re-queued per recover call
COMPLETED_TTL_S = 7 * DAY_S  # a completed job (without its payload) answers its status this long
FAILED_TTL_S = 30 * DAY_S  # a job given up is kept whole this long, for an operator to look at
HELD_TTL_S = DAY_S  # a job whose confirm never committed (its worker died, no retry) lapses
ENQUEUE_HOLD_S = 0.1  # a job is queued just before its confirm commits: claimable after this
IN_FLIGHT_S = 15.0  # a HELD job's confirm may still commit this long (transactions.SEAL_TTL_S)


def enqueue_command(tenant: str, job_id: str, now: int | None = None) -> tuple:
    """The command of :meth:`JobQueue.enqueue` (ZADD NX; its reply: 1 = queued now, 0 = it was),
    as a plain command for a confirm's ``call_group`` (no trip through redis-py's builder)."""
    at = (now if now is not None else now_ms()) + ms(ENQUEUE_HOLD_S)
    return ("ZADD", keys.job_bucket(tenant, job_id), "NX", at, job_id)


def enqueuing(tenant: str, job_id: str, now: int | None = None) -> Callable[[Pipeline], Any]:
    """:func:`enqueue_command` for a store call of its own."""
    command = enqueue_command(tenant, job_id, now)
    return lambda p: p.execute_command(*command)


class JobQueue(StorePart):
    """``store.jobs``: the tenant's side-effect jobs (queue buckets, states).

    A job's hash is in its transaction's slot, its queue entry in one of the tenant's
    ``keys.JOB_BUCKETS`` buckets (a sorted set per slot: job id -> when it may be claimed), so
    claiming, starting and completing jobs spread over every master. ``claim`` visits the buckets
    round-robin from the one after the bucket it last took a job from (fair to every bucket).
    """

    def __init__(self, core) -> None:  # noqa: ANN001 - the store core (StorePart)
        super().__init__(core)
        self._next: dict[str, int] = {}  # tenant -> bucket to look at first

    async def enqueue(self, tenant: str, job_id: str, now: int | None = None) -> None:
        """Queue ``job_id`` in its bucket, claimable after ENQUEUE_HOLD_S (its confirm settles
        meanwhile). Idempotent: a job queued already keeps its place (or its lease)."""
        await self._core.call(enqueuing(tenant, job_id, now))

    async def dequeue(self, tenant: str, job_id: str) -> None:
        """Take ``job_id`` off its bucket (its confirm was refused: the job is gone)."""
        key = keys.job_bucket(tenant, job_id)
        await self._core.call(lambda p: p.zrem(key, job_id))

    async def claim(
        self, tenant: str, lease_s: float = JOB_LEASE_S, now: int | None = None, ordered: bool = False,
    ) -> ClaimedJob | None:
        """Lease the next job and mark it RUNNING (attempts + 1); None when no bucket has one.
        Jobs already finished (a duplicate delivery) or gone are dropped from the queue; a job
        whose confirm is still settling is left for later.

        ``ordered``: the oldest claimable job of all buckets (a local instance forwards its
        confirms to central in the order they were made): on one Redis node (a local instance's)
        one job_claim.lua call reads them all; on a cluster a look at each bucket first."""
        buckets = keys.job_buckets(tenant)
        first = self._next.get(tenant, 0)
        if ordered and self._core.links.clustered:  # buckets in several slots: a look at each first
            t = now if now is not None else now_ms()
            heads = [(score, job_id, b) for b, key in enumerate(buckets) for job_id, score in await self._core.call(
                lambda p, k=key: p.zrangebyscore(k, "-inf", t, 0, 1, withscores=True))]
            first = min(heads)[2] if heads else first
        elif ordered:  # one node (a local instance): one script call reads every bucket and claims
            while True:
                t = now if now is not None else now_ms()
                job_id = await self._core.call_script(self._core.scripts.job_claim, buckets, [t, ms(lease_s)])
                if job_id is None:
                    return None
                job = await self._start(tenant, keys.job_bucket(tenant, job_id), job_id, t)
                if job is not None:
                    return job
        for i in range(len(buckets)):
            b = (first + i) % len(buckets)
            while True:
                t = now if now is not None else now_ms()
                job_id = await self._core.call_script(self._core.scripts.job_claim, [buckets[b]], [t, ms(lease_s)])
                if job_id is None:
                    break
                job = await self._start(tenant, buckets[b], job_id, t)
                if job is not None:
                    self._next[tenant] = (b + 1) % len(buckets)
                    return job
        return None

    async def _start(self, tenant: str, bucket: str, job_id: str, now: int) -> ClaimedJob | None:
        """job_start.lua for a claimed entry: the job to run, or None (the entry dropped or put off)."""
        txn, _, counter = job_id.rpartition("/")
        k = [keys.job(tenant, job_id), keys.txn_seal(tenant, txn), keys.txn_done(tenant, txn),
             keys.txn_counter(tenant, txn), keys.txn_iterations(tenant, txn)]
        start = self._core.scripts.job_start
        args = [job_id, now, "", ms(IN_FLIGHT_S), ms(DONE_MARKER_TTL_S), counter]
        status, attempts, payload = await self._core.call_script(start, k, args)
        if status == "HELD" and not int(attempts):  # its confirm's worker died: did the commit land?
            confirmed = await read_confirmed(self._core, tenant, txn)  # the tenant's slot: by the commit
            if confirmed is not None and str(confirmed[0]) == counter:
                args[2] = "1"
                status, attempts, payload = await self._core.call_script(start, k, args)
        if status == "RUNNING":
            return ClaimedJob(job_id, int(attempts), payload)
        if status == "HELD":  # still settling (or not committed: a retry of the confirm re-queues it)
            later = now + ms(ENQUEUE_HOLD_S)
            if int(attempts):
                await self._core.call(lambda p: p.zadd(bucket, {job_id: later}, xx=True))
                return None
        await self._core.call(lambda p: p.zrem(bucket, job_id))
        return None

    async def complete(
        self, tenant: str, job_id: str, results: str, now: int | None = None
    ) -> bool:
        """Mark the job COMPLETED with ``results`` (JSON). False if it was already completed."""
        s = self._core.scripts.job_complete
        t = now if now is not None else now_ms()
        done = await self._core.call_script(s, [keys.job(tenant, job_id)], [job_id, results, t, ms(COMPLETED_TTL_S)],
                                            lambda r: bool(int(r)))
        bucket = keys.job_bucket(tenant, job_id)
        await self._core.call(lambda p: p.zrem(bucket, job_id))
        return done

    async def fail(
        self, tenant: str, job_id: str, error: str, max_attempts: int = MAX_ATTEMPTS,
        now: int | None = None,
    ) -> str:
        """Record a failed attempt: claimable again (returns PENDING) or given up (FAILED)."""
        s = self._core.scripts.job_fail
        t = now if now is not None else now_ms()
        status = await self._core.call_script(s, [keys.job(tenant, job_id)],
                                              [job_id, error, t, max_attempts, ms(FAILED_TTL_S)])
        bucket = keys.job_bucket(tenant, job_id)
        if status == "PENDING":
            await self._core.call(lambda p: p.zadd(bucket, {job_id: t}, xx=True))
        else:
            await self._core.call(lambda p: p.zrem(bucket, job_id))
        return status

    async def recover(self, tenant: str, now: int | None = None, force: bool = False) -> int:
        """Make jobs whose lease ran out by ``now`` claimable at once (``force``: every leased job -
        only safe when no other worker of the tenant is alive, e.g. a single-process start-up).
        A lease that ran out makes its job claimable by itself; this only brings it forward.
        Returns the count."""
        s = self._core.scripts.job_recover
        upto: int | str = "+inf" if force else (now if now is not None else now_ms())
        n = 0
        for bucket in keys.job_buckets(tenant):
            n += await self._core.call_script(s, [bucket], [upto, RECOVER_BATCH, now_ms()], int)
        return n

    async def get(self, tenant: str, job_id: str) -> dict[str, str] | None:
        """The job's fields (status, attempts, payload, results, startedAt, completedAt, ...)."""
        key = keys.job(tenant, job_id)
        return await self._core.call(lambda p: p.hgetall(key), lambda r: r or None)

    async def queue_length(self, tenant: str) -> int:
        """Jobs queued or running, over every bucket: the heartbeat's pendingTransactions."""
        n = 0
        for bucket in keys.job_buckets(tenant):
            n += await self._core.call(lambda p, b=bucket: p.zcard(b), int)
        return n
