"""Article import jobs in the store: input chunks, one lease holder, progress, resume, failure."""
from actors.store_ops.imports import MAX_ERRORS, ChunkOutcome
from dre.store import keys

NOW = 1_800_000_000_000
LEASE_S = 30.0


async def test_a_job_runs_chunk_by_chunk_to_completed(store, tenant):
    await store.imports.create(tenant, "J1", ['[{"a":1}]', '[{"a":2}]'], total=2, chunk_size=1, now=NOW)
    assert await store.imports.pending(tenant) == ["J1"]
    lease = await store.imports.claim(tenant, "J1", "w1", LEASE_S, now=NOW)
    assert (lease.next_chunk, lease.chunks, lease.chunk_size) == (0, 2, 1)
    assert await store.imports.chunk(tenant, "J1", 0) == '[{"a":1}]'
    assert await store.imports.advance(tenant, "J1", "w1", 0, ChunkOutcome(1, 0, 1, 0), LEASE_S, now=NOW)
    assert await store.imports.chunk(tenant, "J1", 0) is None  # processed input is dropped
    assert not await store.imports.advance(tenant, "J1", "w1", 0, ChunkOutcome(1, 0, 1, 0), LEASE_S, now=NOW)
    err = '{"index":1,"path":"articles[1].name","issue":"missing"}'
    assert await store.imports.advance(tenant, "J1", "w1", 1, ChunkOutcome(1, 1, 0, 0, (err,)), LEASE_S, now=NOW)
    job, errors = await store.imports.get(tenant, "J1")
    assert (job["status"], job["processed"], job["failed"], job["created"]) == ("COMPLETED", "2", "1", "1")
    assert errors == [err]
    assert await store.imports.pending(tenant) == []
    assert await store.imports.claim(tenant, "J1", "w2", LEASE_S, now=NOW) is None
    assert store.core.client.pttl(keys.import_job(tenant, "J1")) > 0  # finished jobs expire


async def test_a_live_lease_is_exclusive_and_an_expired_one_is_taken_over(store, tenant):
    await store.imports.create(tenant, "J2", ["[]", "[]", "[]"], total=0, chunk_size=1, now=NOW)
    assert await store.imports.claim(tenant, "J2", "w1", LEASE_S, now=NOW) is not None
    await store.imports.advance(tenant, "J2", "w1", 0, ChunkOutcome(0, 0, 0, 0), LEASE_S, now=NOW)
    assert await store.imports.claim(tenant, "J2", "w2", LEASE_S, now=NOW + 1000) is None
    later = NOW + int(LEASE_S * 1000) + 1
    lease = await store.imports.claim(tenant, "J2", "w2", LEASE_S, now=later)
    assert lease.next_chunk == 1  # resumes after what w1 recorded
    # w1 comes back late: its chunk is not counted twice
    assert not await store.imports.advance(tenant, "J2", "w1", 1, ChunkOutcome(5, 0, 5, 0), LEASE_S, now=later)
    assert (await store.imports.get(tenant, "J2"))[0]["processed"] == "0"


async def test_errors_are_capped_and_a_failed_job_leaves_the_pending_set(store, tenant):
    await store.imports.create(tenant, "J3", ["[]", "[]"], total=0, chunk_size=1, now=NOW)
    await store.imports.claim(tenant, "J3", "w1", LEASE_S, now=NOW)
    many = tuple(f'{{"index":{i}}}' for i in range(MAX_ERRORS + 5))
    await store.imports.advance(tenant, "J3", "w1", 0, ChunkOutcome(0, len(many), 0, 0, many), LEASE_S, now=NOW)
    assert not await store.imports.fail(tenant, "J3", "w2", "not mine", now=NOW)
    assert await store.imports.fail(tenant, "J3", "w1", "chunk 1 is not JSON", now=NOW)
    job, errors = await store.imports.get(tenant, "J3")
    assert (job["status"], job["lastError"], job["failed"]) == ("FAILED", "chunk 1 is not JSON", str(len(many)))
    assert len(errors) == MAX_ERRORS
    assert await store.imports.pending(tenant) == []
    assert await store.imports.get(tenant, "nope") is None


async def test_a_job_that_ended_without_leaving_the_pending_set_is_settled_later(store, tenant):
    """The job's keys and the tenant's pending set are in different cluster slots: a worker that
    dies after the last chunk's script leaves the job pending; settle (a rescan) takes it off."""
    await store.imports.create(tenant, "J9", ["[]"], total=0, chunk_size=1, now=NOW)
    assert not await store.imports.settle(tenant, "J9")  # QUEUED: stays pending
    store.core.client.hset(keys.import_job(tenant, "J9"), "status", "COMPLETED")  # as the last script left it
    assert await store.imports.pending(tenant) == ["J9"]
    assert await store.imports.settle(tenant, "J9")
    assert await store.imports.pending(tenant) == []
