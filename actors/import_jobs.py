"""The article import job actor: runs batch imports chunk by chunk, resumable after a restart.

The route stores the submitted articles in the store in chunks and queues the job there
(``store.imports.create``) before it answers 202; then it tells this actor with
:meth:`ImportJobs.submit`. The store, not the mailbox, is what makes a job durable: on start-up
and every ``rescan_s`` the actor also looks at every tenant's pending jobs, so a job whose worker
died (its lease runs out) or whose wake-up was lost is picked up by some worker.

Per job: take the lease, then for each chunk from ``nextChunk``: read it, validate its articles in
a thread (CPU: the event loop keeps serving requests), upsert the valid ones in one store call,
record the outcome (which also renews the lease and drops the chunk). A chunk whose JSON cannot be
read, or that has vanished, fails the job. One job at a time per worker: an import is bulk work
that should not take every core from pricing.

Two ways to run it (STYLE.md §2)::

    async with open_import_jobs(store, tenants) as jobs: ...
    jobs = await start_import_jobs(nursery, store, tenants)   # then: await jobs.aclose()
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager

import orjson
import trio

from actors.kit import mailbox, open_actor
from actors.store import Store
from actors.store_ops.imports import ChunkOutcome
from dre.articles import check_articles
from dre.store import codes

log = logging.getLogger("dre.imports")

MAILBOX_SIZE = 64  # job wake-ups waiting; when full a wake-up is dropped (the rescan finds the job)
RESCAN_S = 5.0  # how often pending jobs of every tenant are looked at (resume after a crash)
LEASE_S = 30.0  # a job's lease; renewed with every chunk (a chunk takes well under a second)
RETRY_S = 1.0  # pause after a store failure before the job is tried again (by the rescan)


class ImportJobs:
    """Handle of the job actor: wake it for a new job, or close it. Built by start_import_jobs."""

    def __init__(self, store: Store, tenants: Iterable[str], send: trio.MemorySendChannel) -> None:
        self._store = store
        self.tenants = tuple(dict.fromkeys(tenants))
        self._send = send
        self.owner = codes.new_token("W")  # this worker's lease token
        self.chunks_done = 0  # for tests and metrics
        self._closing = False  # set by aclose: stop at the next chunk boundary

    def submit(self, tenant: str, job_id: str) -> None:
        """Wake the actor for a stored job (never blocks; a dropped wake-up is found by the rescan)."""
        try:
            self._send.send_nowait((tenant, job_id))
        except (trio.WouldBlock, trio.ClosedResourceError, trio.BrokenResourceError):
            pass

    async def aclose(self) -> None:
        """Stop taking jobs. The chunk in progress is recorded first; the job's lease then runs
        out and another worker (or this one after a restart) resumes it. Idempotent."""
        self._closing = True
        await self._send.aclose()

    # -- actor side -----------------------------------------------------------------------

    async def run_job(self, tenant: str, job_id: str) -> None:
        """Process one job to its end, or until the lease is lost or the store fails."""
        store = self._store
        lease = await store.imports.claim(tenant, job_id, self.owner, LEASE_S)
        if lease is None:  # finished, unknown, or another worker holds it
            await store.imports.settle(tenant, job_id)  # a worker may have died before settling
            return
        log.info("import job running", extra={"tenant": tenant, "job": job_id, "from_chunk": lease.next_chunk})
        for index in range(lease.next_chunk, lease.chunks):
            if self._closing:
                return  # shutting down: the lease runs out and the job resumes elsewhere
            raw = await store.imports.chunk(tenant, job_id, index)
            if raw is None:
                await store.imports.fail(tenant, job_id, self.owner, f"input chunk {index} is missing (expired)")
                return
            try:
                outcome = await trio.to_thread.run_sync(_process_chunk, raw, index * lease.chunk_size)
            except ValueError as exc:
                await store.imports.fail(tenant, job_id, self.owner, f"input chunk {index}: {exc}")
                return
            checked, items = outcome
            flags = await store.articles.upsert(tenant, [(n, doc) for _, n, doc in checked.valid])
            created = sum(flags)
            result = ChunkOutcome(items, len(checked.failed), created, len(flags) - created,
                                  tuple(orjson.dumps(f.to_json()).decode() for f in checked.failed))
            if not await store.imports.advance(tenant, job_id, self.owner, index, result, LEASE_S):
                log.warning("import job lease lost", extra={"tenant": tenant, "job": job_id})
                return
            self.chunks_done += 1
        log.info("import job completed", extra={"tenant": tenant, "job": job_id})

    async def rescan(self) -> list[tuple[str, str]]:
        """Every tenant's pending jobs (a store failure skips that tenant this time)."""
        found = []
        for tenant in self.tenants:
            try:
                found += [(tenant, j) for j in await self._store.imports.pending(tenant)]
            except Exception as exc:  # noqa: BLE001 - that tenant is looked at again next rescan
                self._store.faults.record("imports", exc)
        return found

    async def serve(self, receive: trio.MemoryReceiveChannel, rescan_s: float) -> None:
        """Run jobs as they are submitted and as rescans find them, until the mailbox is closed.
        Owns (and closes) ``receive``."""
        async with receive:
            while True:
                todo = await self.rescan()
                with trio.move_on_after(rescan_s):
                    try:
                        todo.append(await receive.receive())
                    except trio.EndOfChannel:
                        return
                while True:  # drain whatever else is waiting
                    try:
                        todo.append(receive.receive_nowait())
                    except trio.WouldBlock:
                        break
                    except trio.EndOfChannel:
                        return
                for tenant, job_id in dict.fromkeys(todo):
                    if self._closing:
                        return
                    try:
                        await self.run_job(tenant, job_id)
                    except Exception as exc:  # noqa: BLE001 - store trouble: the lease runs out, a rescan resumes
                        self._store.faults.record("imports", exc)
                        await trio.sleep(RETRY_S)


def _process_chunk(raw: str, first_index: int):
    """(In a thread.) The checked articles of one stored chunk and how many it held.
    Raises ValueError when the chunk is not a JSON array."""
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(items, list):
        raise ValueError("not a JSON array")
    return check_articles(items, first_index), len(items)


async def start_import_jobs(nursery: trio.Nursery, store: Store, tenants: Iterable[str], *,
                            rescan_s: float = RESCAN_S) -> ImportJobs:
    """Start the actor in ``nursery``; returns once it listens. Stop it with ``await
    jobs.aclose()`` (it finishes the chunk in progress) or by cancelling ``nursery``."""
    send, receive = mailbox(MAILBOX_SIZE)
    jobs = ImportJobs(store, tenants, send)

    async def run(task_status: trio.TaskStatus[ImportJobs] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started(jobs)
        await jobs.serve(receive, rescan_s)

    return await nursery.start(run)


def open_import_jobs(store: Store, tenants: Iterable[str],
                     **options: float) -> AbstractAsyncContextManager[ImportJobs]:
    """The actor for the duration of the block (owns its nursery; closed on exit;
    :func:`actors.kit.open_actor`). Options as for :func:`start_import_jobs`."""
    return open_actor(start_import_jobs, store, tenants, **options)
