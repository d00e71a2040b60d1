"""The durable side-effects job queue (enqueued by confirm.lua).

Delivery is at least once: a claimed job is leased; a worker that dies leaves its lease to run
out, and ``JobQueue.recover`` puts the job back. Completion is idempotent per job id, and every side
effect a job performs is itself idempotent (coupons are claimed inside confirm, points are
booked once per event key), so each confirmed job's effects happen exactly once.
"""
from __future__ import annotations

from actors.store_ops.base import DAY_S, StorePart, ms
from dre.store import keys
from dre.store.records import ClaimedJob, now_ms

JOB_LEASE_S = 60.0  # a worker must finish (or fail) a job within this, else it is re-queued
MAX_ATTEMPTS = 5  # attempts before a job is marked FAILED
RECOVER_BATCH = 1000  # leases re-queued per recover call
COMPLETED_TTL_S = 7 * DAY_S  # a completed job (without its payload) answers its status this long
FAILED_TTL_S = 30 * DAY_S  # a job given up is kept whole this long, for an operator to look at


class JobQueue(StorePart):
    """``store.jobs``: the tenant's side-effect jobs (queue, leases, states)."""

    async def claim(
        self, tenant: str, lease_s: float = JOB_LEASE_S, now: int | None = None
    ) -> ClaimedJob | None:
        """Lease the next job and mark it RUNNING (attempts + 1); None when the queue is empty.
        Jobs already finished (a duplicate delivery) are skipped."""
        while True:
            t = now if now is not None else now_ms()
            qk = [keys.job_queue(tenant), keys.job_leases(tenant)]
            claim = self._core.scripts.job_claim
            job_id = await self._core.call_script(claim, qk, [t, ms(lease_s)])
            if job_id is None:
                return None
            jk = [keys.job(tenant, job_id), keys.job_leases(tenant)]
            start = self._core.scripts.job_start
            status, attempts, payload = await self._core.call_script(start, jk, [job_id, t])
            if status == "RUNNING":
                return ClaimedJob(job_id, int(attempts), payload)

    async def complete(
        self, tenant: str, job_id: str, results: str, now: int | None = None
    ) -> bool:
        """Mark the job COMPLETED with ``results`` (JSON). False if it was already completed."""
        k = [keys.job(tenant, job_id), keys.job_leases(tenant)]
        s = self._core.scripts.job_complete
        t = now if now is not None else now_ms()
        return await self._core.call_script(s, k, [job_id, results, t, ms(COMPLETED_TTL_S)], lambda r: bool(int(r)))

    async def fail(
        self, tenant: str, job_id: str, error: str, max_attempts: int = MAX_ATTEMPTS,
        now: int | None = None,
    ) -> str:
        """Record a failed attempt: re-queued (returns PENDING) or given up (FAILED)."""
        k = [keys.job(tenant, job_id), keys.job_leases(tenant), keys.job_queue(tenant)]
        s = self._core.scripts.job_fail
        t = now if now is not None else now_ms()
        return await self._core.call_script(s, k, [job_id, error, t, max_attempts, ms(FAILED_TTL_S)])

    async def recover(self, tenant: str, now: int | None = None, force: bool = False) -> int:
        """Re-queue jobs whose lease ran out (``force``: every leased job - only safe when no
        other worker of the tenant is alive, e.g. a single-process start-up). Returns count."""
        k = [keys.job_leases(tenant), keys.job_queue(tenant)]
        s = self._core.scripts.job_recover
        upto: int | str = "+inf" if force else (now if now is not None else now_ms())
        return await self._core.call_script(s, k, [upto, RECOVER_BATCH], int)

    async def get(self, tenant: str, job_id: str) -> dict[str, str] | None:
        """The job's fields (status, attempts, payload, results, startedAt, completedAt, ...)."""
        key = keys.job(tenant, job_id)
        return await self._core.call(lambda p: p.hgetall(key), lambda r: r or None)

    async def queue_length(self, tenant: str) -> int:
        """Jobs waiting (not counting leased ones): the heartbeat's pendingTransactions."""
        key = keys.job_queue(tenant)
        return await self._core.call(lambda p: p.llen(key), int)
