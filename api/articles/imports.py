"""Article master imports: synchronous (answer per article) and batch (a job, 202).

Both upsert by articleNumber and validate every article on its own (dre.articles). The batch
body is stored in the store in chunks of CHUNK_SIZE articles before the 202 (so a restart loses
nothing accepted) and processed by the import job actor (actors.import_jobs).

Memory: the batch body is streamed (api.http.body_stream): parsed as it arrives (ijson's C
parser) and stored a chunk at a time, so a worker holds one chunk of articles and a window of
unread body (4 MiB), whatever the body's size (it held the whole body and its parsed form before:
~150 MB of JSON and ~0.5 GB of Python objects for a million articles).
"""
from __future__ import annotations

import uuid
from contextlib import aclosing
from typing import AsyncIterator

import ijson
import orjson
import trio

from api.services import Services
from dre.articles import check_articles
from dre.clock import iso_ms
from dre.errors import Issue, invalid, not_found

CHUNK_SIZE = 5_000  # articles per store call / stored chunk: ~5-10 ms of Redis time per chunk,
# short enough not to hold up pricing calls queued behind it
THREAD_FROM = 500  # validate in a thread from this many articles on (keeps the event loop free)
JOB_ID_CHARS = frozenset("0123456789abcdef")


async def import_sync(services: Services, tenant: str, items: list) -> dict:
    """Upsert ``items`` now; the outcome of each one, in order.

    Valid articles are written in chunks even when others fail; a store failure (503) after some
    chunks leaves those written (an upsert repeated by the client's retry is harmless).
    """
    store = services.store
    if len(items) >= THREAD_FROM:
        checked = await trio.to_thread.run_sync(check_articles, items)
    else:
        checked = check_articles(items)
    results: list[dict | None] = [None] * len(items)
    for f in checked.failed:
        results[f.index] = {"index": f.index, "articleNumber": f.article_number, "status": "FAILED",
                            "errors": [i.to_json() for i in f.issues]}
    created = updated = 0
    for start in range(0, len(checked.valid), CHUNK_SIZE):
        part = checked.valid[start:start + CHUNK_SIZE]
        flags = await store.articles.upsert(tenant, [(number, doc) for _, number, doc in part])
        for (index, number, _), new in zip(part, flags):
            results[index] = {"index": index, "articleNumber": number, "status": "CREATED" if new else "UPDATED",
                              "errors": []}
            created += new
            updated += not new
    return {"total": len(items), "created": created, "updated": updated, "failed": len(checked.failed),
            "results": results}


async def article_chunks(pieces: AsyncIterator[bytes]) -> AsyncIterator[tuple[bytes, int]]:
    """(JSON array of at most CHUNK_SIZE raw articles, how many) of a ``{"articles": [...]}``
    body, as it streams in: one chunk in memory at a time, never the body or its parsed form.
    ijson's push parser (C) takes each piece as it comes (its async readers are asyncio's).

    Raises DREError 400 when the body is not JSON, or holds no ``articles`` array with at least
    one article (individual articles are judged later, by the job).
    """
    parsed = ijson.sendable_list()
    parser = ijson.items_coro(parsed, "articles.item", use_float=True)
    chunk: list = []
    seen = 0
    try:
        async for piece in pieces:  # (the caller closes this generator, and so ``pieces``)
            parser.send(piece)
            for article in parsed:
                chunk.append(article)
                if len(chunk) == CHUNK_SIZE:
                    seen += len(chunk)
                    yield orjson.dumps(chunk), len(chunk)
                    chunk = []
            del parsed[:]
        parser.close()  # the end of the body: incomplete JSON raises here
    except ijson.JSONError as exc:
        raise invalid(f"request body is not valid JSON: {exc}") from None
    chunk.extend(parsed)
    seen += len(chunk)
    if not seen:
        raise invalid('body must be {"articles": [...]} with at least one article',
                      [Issue("articles", "must be an array of articles")])
    if chunk:
        yield orjson.dumps(chunk), len(chunk)


async def submit_batch(services: Services, tenant: str, pieces: AsyncIterator[bytes]) -> dict:
    """Store a streamed batch import chunk by chunk, then queue it; ``{"jobId", "status":
    "QUEUED", "total"}``. A body refused half-way (400, 413) or a store failure leaves nothing:
    the chunks written so far are dropped (or, if even that fails, expire with CHUNK_TTL_S).
    """
    store = services.store
    job_id = uuid.uuid4().hex
    chunks = total = 0
    try:
        async with aclosing(article_chunks(pieces)) as parts:
            async for raw, n in parts:
                await store.imports.put_chunk(tenant, job_id, chunks, raw)
                chunks += 1
                total += n
    except BaseException:
        with trio.CancelScope(shield=True), trio.move_on_after(5):
            await store.imports.discard(tenant, job_id, chunks + 1)
        raise
    await store.imports.queue(tenant, job_id, chunks, total, CHUNK_SIZE)
    if services.imports is not None:
        services.imports.submit(tenant, job_id)
    return {"jobId": job_id, "status": "QUEUED", "total": total}


def parse_job_id(raw: str) -> str:
    """The id inside ``ArticleImportJobs(<id>)``, OData quotes allowed (``('abc')``)."""
    return raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == "'" else raw


async def job_status(services: Services, tenant: str, job_id: str) -> dict:
    """The job as ``GET /admin/ArticleImportJobs({jobId})`` answers it. Raises DREError 404."""
    job_id = parse_job_id(job_id)
    found = await services.store.imports.get(tenant, job_id) if set(job_id) <= JOB_ID_CHARS else None
    if found is None:
        raise not_found(f"article import job {job_id}")
    job, errors = found
    return {
        "jobId": job_id, "status": job["status"], "total": int(job.get("total", 0)),
        "processed": int(job.get("processed", 0)), "failed": int(job.get("failed", 0)),
        "created": int(job.get("created", 0)), "updated": int(job.get("updated", 0)),
        "errors": [orjson.loads(e) for e in errors], "lastError": job.get("lastError"),
        "createdAt": iso_ms(job.get("createdAt"), "auto"), "startedAt": iso_ms(job.get("startedAt"), "auto"),
        "completedAt": iso_ms(job.get("completedAt"), "auto"),
    }
