"""Article import jobs: the submitted articles in chunks, a lease per job, progress and errors.

A job is written before the client is told its id: every chunk (a JSON array of raw articles),
then the job hash (QUEUED), then its id in the tenant's pending set, which is what a worker that
starts later looks at. A worker takes a job with :meth:`ArticleImports.claim` (a lease, renewed
with every chunk), processes chunk ``nextChunk`` and records it with :meth:`ArticleImports.advance`,
which drops the chunk; after the last one the job is COMPLETED. A worker that dies leaves its lease
to run out, and another one resumes at the next chunk.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from actors.store_ops.base import DAY_S, StorePart, ms
from dre.store import keys
from dre.store.records import now_ms

CHUNK_TTL_S = DAY_S  # input of a job nobody finishes is dropped after this (every worker runs
# import jobs, so a queued job normally starts within seconds; its chunks go as they are done)
FINISHED_TTL_S = 7 * DAY_S  # a finished job can be looked at this long
MAX_ERRORS = 1000  # article errors kept per job (counts are exact beyond it)


@dataclass(frozen=True)
class ImportLease:
    next_chunk: int
    chunks: int
    chunk_size: int  # articles per chunk (the last may hold fewer): chunk i starts at i * chunk_size


@dataclass(frozen=True)
class ChunkOutcome:
    processed: int
    failed: int
    created: int
    updated: int
    errors: tuple[str, ...] = ()  # JSON each: {"index", "articleNumber", "path", "issue"}


class ArticleImports(StorePart):
    """``store.imports``: the tenant's article import jobs."""

    async def put_chunk(self, tenant: str, job_id: str, index: int, chunk: bytes | str) -> None:
        """Store chunk ``index`` of a job's input (before the job is queued)."""
        key = keys.import_chunk(tenant, job_id, index)
        await self._core.call(lambda p: p.set(key, chunk, px=ms(CHUNK_TTL_S)))

    async def discard(self, tenant: str, job_id: str, chunks: int) -> None:
        """Drop the first ``chunks`` input chunks of a job that was never queued."""
        if chunks:
            names = [keys.import_chunk(tenant, job_id, i) for i in range(chunks)]
            await self._core.call(lambda p: p.delete(*names))

    async def queue(self, tenant: str, job_id: str, chunks: int, total: int, chunk_size: int,
                    now: int | None = None) -> None:
        """Queue a job whose ``chunks`` chunks are stored (see the module docstring for the order)."""
        now = now if now is not None else now_ms()
        job = {"id": job_id, "status": "QUEUED", "total": total, "chunks": chunks, "chunkSize": chunk_size,
               "nextChunk": 0, "processed": 0, "failed": 0, "created": 0, "updated": 0, "createdAt": now, "owner": ""}
        jkey = keys.import_job(tenant, job_id)
        await self._core.call(lambda p: p.hset(jkey, mapping=job))
        await self._core.call(lambda p: p.pexpire(jkey, ms(CHUNK_TTL_S)))
        await self._core.call(lambda p: p.sadd(keys.imports_pending(tenant), job_id))

    async def create(self, tenant: str, job_id: str, chunks: Sequence[bytes | str],
                     total: int, chunk_size: int, now: int | None = None) -> None:
        """Store a job's whole input and queue it (tests and tools; the route streams)."""
        for i, chunk in enumerate(chunks):
            await self.put_chunk(tenant, job_id, i, chunk)
        await self.queue(tenant, job_id, len(chunks), total, chunk_size, now)

    async def pending(self, tenant: str) -> list[str]:
        """Ids of the tenant's jobs not finished yet."""
        return sorted(await self._core.call(lambda p: p.smembers(keys.imports_pending(tenant))))

    async def claim(self, tenant: str, job_id: str, owner: str, lease_s: float,
                    now: int | None = None) -> ImportLease | None:
        """Take or renew the job's lease. None: unknown, finished, or held by a live worker."""
        k = [keys.import_job(tenant, job_id)]
        args = [owner, now if now is not None else now_ms(), ms(lease_s)]

        def parse(r: list) -> ImportLease | None:
            return ImportLease(int(r[0]), int(r[1]), int(r[2])) if r else None

        return await self._core.call_script(self._core.scripts.import_claim, k, args, parse)

    async def chunk(self, tenant: str, job_id: str, index: int) -> str | None:
        """Chunk ``index`` (a JSON array of raw articles), or None if it is gone."""
        key = keys.import_chunk(tenant, job_id, index)
        return await self._core.call(lambda p: p.get(key))

    async def advance(self, tenant: str, job_id: str, owner: str, index: int,
                      outcome: ChunkOutcome, lease_s: float, now: int | None = None) -> bool:
        """Record chunk ``index`` as processed. False if ``owner`` lost the lease (nothing recorded)."""
        k = [keys.import_job(tenant, job_id), keys.import_chunk(tenant, job_id, index),
             keys.import_errors(tenant, job_id)]
        args = [owner, index, outcome.processed, outcome.failed, outcome.created, outcome.updated,
                now if now is not None else now_ms(), ms(lease_s), MAX_ERRORS, ms(FINISHED_TTL_S), job_id,
                *outcome.errors[:MAX_ERRORS]]
        recorded = await self._core.call_script(self._core.scripts.import_advance, k, args, lambda r: bool(int(r)))
        if recorded:
            await self.settle(tenant, job_id)  # after the last chunk: off the pending set
        return recorded

    async def fail(self, tenant: str, job_id: str, owner: str, reason: str,
                   now: int | None = None) -> bool:
        """End the job as FAILED (lease holder only). False if ``owner`` does not hold it."""
        k = [keys.import_job(tenant, job_id), keys.import_errors(tenant, job_id)]
        args = [owner, reason, now if now is not None else now_ms(), ms(FINISHED_TTL_S), job_id]
        failed = await self._core.call_script(self._core.scripts.import_fail, k, args, lambda r: bool(int(r)))
        if failed:
            await self.settle(tenant, job_id)
        return failed

    async def settle(self, tenant: str, job_id: str) -> bool:
        """Take the job off the tenant's pending set if it has ended (COMPLETED, FAILED, or gone):
        after its last script, and again by a rescan when a worker died in between. True if so."""
        status = await self._core.call(lambda p: p.hget(keys.import_job(tenant, job_id), "status"))
        if status not in (None, "COMPLETED", "FAILED"):
            return False
        await self._core.call(lambda p: p.srem(keys.imports_pending(tenant), job_id))
        return True

    async def get(self, tenant: str, job_id: str) -> tuple[dict[str, str], list[str]] | None:
        """(job fields, error JSONs) or None for an unknown job."""
        job = await self._core.call(lambda p: p.hgetall(keys.import_job(tenant, job_id)))
        if not job:
            return None
        errors = await self._core.call(lambda p: p.lrange(keys.import_errors(tenant, job_id), 0, -1))
        return job, list(errors)
