"""The import job actor: resumes stored jobs (restart), takes over a dead worker's lease, fails
a job whose input cannot be read."""
from __future__ import annotations

import orjson
import pytest
import trio

from actors.import_jobs import open_import_jobs
from actors.store import open_store
from dre.store.records import now_ms

TENANT = "acme"


@pytest.fixture
async def store(redis_url):
    async with open_store(redis_url) as s:
        yield s


def chunk(numbers: range) -> bytes:
    return orjson.dumps([{"articleNumber": f"A{n}", "name": "n", "articleGroupId": "G"} for n in numbers])


async def wait_status(store, job_id: str, status: str) -> dict:
    with trio.fail_after(10):
        while (job := (await store.imports.get(TENANT, job_id))[0])["status"] != status:
            await trio.sleep(0.02)
    return job


async def test_a_job_stored_before_start_is_resumed_after_a_dead_workers_lease(store):
    await store.imports.create(TENANT, "J1", [chunk(range(0, 3)), chunk(range(3, 6))], total=6, chunk_size=3)
    # a worker claimed it, recorded nothing, and died: its lease ran out a second ago
    assert await store.imports.claim(TENANT, "J1", "dead", lease_s=0.001, now=now_ms() - 1000)
    async with open_import_jobs(store, [TENANT], rescan_s=0.05):
        job = await wait_status(store, "J1", "COMPLETED")
    assert (job["processed"], job["created"], job["failed"]) == ("6", "6", "0")
    assert len(await store.articles.get(TENANT, [f"A{n}" for n in range(6)])) == 6


async def test_a_job_whose_chunk_is_not_json_fails(store):
    await store.imports.create(TENANT, "J2", [chunk(range(2)), b"{broken"], total=4, chunk_size=2)
    async with open_import_jobs(store, [TENANT], rescan_s=0.05) as jobs:
        jobs.submit(TENANT, "J2")
        job = await wait_status(store, "J2", "FAILED")
    assert job["lastError"].startswith("input chunk 1: not JSON")
    assert job["processed"] == "2"  # what was read before stays imported
    assert await store.imports.pending(TENANT) == []
