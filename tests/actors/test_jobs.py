"""The side-effects job worker on a real Redis: retries with back-off, giving up, recovery of jobs
a stopped worker left leased (each effect once), the reservation sweeper."""
from __future__ import annotations

import orjson
import pytest
import trio

from actors.jobs import JobSettings, open_job_worker
from actors.side_effects import SideEffects
from actors.store import open_store
from dre.side_effects import CouponGrant, JobPayload
from dre.store import keys

TENANT = "acme"
FAST = JobSettings(runners=2, poll_s=0.02, lease_s=0.5, job_timeout_s=0.3, backoff_s=0.01, backoff_max_s=0.05,
                   recover_every_s=0.05, sweep_every_s=0.05, store_down_s=0.05, max_attempts=3)


@pytest.fixture
async def store(redis_url):
    async with open_store(redis_url) as s:
        yield s


async def enqueue(store, txn: str, **payload) -> str:
    """A confirmed iteration with its job, as POST /pos/v2/confirm leaves it."""
    await store.transactions.next_counter(TENANT, txn, "{}")
    p = JobPayload(transactionId=txn, transactionCounter=1, confirmedAt=0, customerId=payload.get("customer", "C1"),
                   member=payload.get("member", "M1"), points=payload.get("points", 10), coupons=(), promotions=(),
                   grants=tuple(payload.get("grants", ())), totals={})
    await store.transactions.confirm(TENANT, txn, 1, customer_id=p.customerId, promotions=[], coupons=[], answer="{}",
                                     job_payload=p.to_json())
    return p.job_id


async def wait_status(store, job_id: str, wanted: str, timeout_s: float = 5.0) -> dict:
    with trio.fail_after(timeout_s):
        while (job := await store.jobs.get(TENANT, job_id))["status"] != wanted:
            await trio.sleep(0.01)
    return job


async def test_a_failing_attempt_is_retried_then_completes(store):
    calls = []

    async def flaky(tenant, job):
        calls.append(job.attempts)
        if job.attempts == 1:
            raise RuntimeError("boom")
        return '{"ok": true}'

    job_id = await enqueue(store, "T1")
    async with open_job_worker(store, [TENANT], flaky, FAST):
        job = await wait_status(store, job_id, "COMPLETED")
    assert calls == [1, 2] and job["attempts"] == "2" and "boom" in job["lastError"]
    assert orjson.loads(job["results"]) == {"ok": True}


async def test_a_job_that_keeps_failing_is_marked_failed(store):
    async def broken(tenant, job):
        raise ValueError("always")

    job_id = await enqueue(store, "T1")
    async with open_job_worker(store, [TENANT], broken, FAST) as worker:
        job = await wait_status(store, job_id, "FAILED")
    assert job["attempts"] == "3" and worker.failed_attempts == 3
    assert await store.jobs.queue_length(TENANT) == 0


async def test_a_job_left_half_done_by_a_stopped_worker_is_recovered_and_takes_effect_once(store):
    await store.coupon_types.put(TENANT, "THX", kind="INDIVIDUAL", prefix="TY")
    job_id = await enqueue(store, "T1", grants=[CouponGrant("P9", "THX", 2)])
    real = SideEffects(store)
    started = trio.Event()

    async def dies_after_the_effects(tenant, job):
        await real(tenant, job)  # every effect is made ...
        started.set()
        await trio.sleep_forever()  # ... but the worker stops before job_complete

    async with open_job_worker(store, [TENANT], dies_after_the_effects, FAST):
        await started.wait()
    assert (await store.jobs.get(TENANT, job_id))["status"] == "RUNNING"  # still leased: nobody completed it
    async with open_job_worker(store, [TENANT], real, FAST):
        job = await wait_status(store, job_id, "COMPLETED")
    results = orjson.loads(job["results"])
    assert results["loyalty"] == {"memberId": "M1", "pointsEarned": 10, "totalPoints": 10}  # booked once
    assert await store.loyalty.points(TENANT, "M1") == 10
    assert len(results["postPurchaseCoupons"]) == 2
    issued = [k for k in store.core.client.scan_iter(keys.coupon(TENANT, "TY*"))]
    assert len(issued) == 2  # the second run got the first run's codes back
    assert job["attempts"] == "2"


async def test_jobs_of_every_tenant_run(store):
    seen = []

    async def record(tenant, job):
        seen.append((tenant, job.job_id))
        return "{}"

    await enqueue(store, "T1")
    p = JobPayload("T2", 1, 0, None, None, 0, (), (), (), {})
    await store.transactions.next_counter("globex", "T2", "{}")
    await store.transactions.confirm("globex", "T2", 1, customer_id=None, promotions=[], coupons=[], answer="{}",
                                     job_payload=p.to_json())
    async with open_job_worker(store, [TENANT, "globex"], record, FAST):
        with trio.fail_after(5):
            while len(seen) < 2:
                await trio.sleep(0.01)
    assert sorted(seen) == [("acme", "T1/1"), ("globex", "T2/1")]


async def test_the_sweeper_returns_expired_reservations_to_active(store):
    await store.coupon_types.put(TENANT, "W", kind="INDIVIDUAL")
    [code] = await store.coupons.generate(TENANT, "W", 1)
    await store.coupons.reserve(TENANT, code, "T1", ttl_s=0.05)

    async def nothing(tenant, job):
        return "{}"

    async with open_job_worker(store, [TENANT], nothing, FAST):
        with trio.fail_after(5):
            while (await store.coupons.get(TENANT, code))["status"] != "ACTIVE":  # raw fields: no lazy expiry
                await trio.sleep(0.02)
    assert store.core.client.zcard(keys.coupon_expiry(TENANT)) == 0  # nothing left for the sweeper


async def test_any_store_fault_in_the_background_is_logged_retried_and_never_fatal(store, monkeypatch):
    """A raw error reply (a MOVED from a misrouted call once crashed the whole service through the
    worker's nursery) or a bug in claim, recover or sweep: each is counted in store.faults and retried;
    the worker lives on and runs the job once the store behaves."""
    import redis

    faults = {"claim": 3, "recover": 2, "sweep": 2}
    real = (store.jobs.claim, store.jobs.recover, store.coupons.sweep_reservations)

    def failing(name, fn, exc):
        async def call(*args, **kwargs):
            if faults[name] > 0:
                faults[name] -= 1
                raise exc
            return await fn(*args, **kwargs)
        return call

    monkeypatch.setattr(store.jobs, "claim", failing("claim", real[0], redis.exceptions.MovedError("3999 10.0.0.1:7000")))
    monkeypatch.setattr(store.jobs, "recover", failing("recover", real[1], RuntimeError("bug")))
    monkeypatch.setattr(store.coupons, "sweep_reservations", failing("sweep", real[2], redis.ResponseError("ERR x")))
    job_id = await enqueue(store, "T1")

    async def done(tenant, job):
        return "{}"

    async with open_job_worker(store, [TENANT], done, FAST):
        await wait_status(store, job_id, "COMPLETED")
        with trio.fail_after(5):
            while any(faults.values()):
                await trio.sleep(0.01)
    counts = {name: f.count for name, f in store.faults.by_actor.items()}
    assert counts == {"jobs.claim": 3, "jobs.recover": 2, "jobs.sweep": 2}
    assert "MovedError" in store.faults.by_actor["jobs.claim"].last_error


async def test_ordered_jobs_are_handled_one_after_the_other_in_queue_order_by_several_runners(store):
    """A local instance's jobs (ordered): several runners, but each handler starts only once the
    one claimed before it ended, so the outbox gets its transactions in the order they were queued."""
    ids = [await enqueue(store, f"T{i:02d}") for i in range(9)]
    await trio.sleep(0.15)  # past the enqueue hold: all claimable at once
    ended, running = [], []

    async def slower_first(tenant, job):  # unordered, the later (faster) ones would end first
        running.append(job.job_id)
        assert len(running) == 1, running  # never two handlers at once
        await trio.sleep(0.01 * (9 - len(ended)))
        running.remove(job.job_id)
        ended.append(job.job_id)
        return "{}"

    settings = JobSettings(**{**FAST.__dict__, "runners": 3, "ordered": True, "job_timeout_s": 1.0, "lease_s": 2.0})
    async with open_job_worker(store, [TENANT], slower_first, settings):
        for job_id in ids:
            await wait_status(store, job_id, "COMPLETED")
    assert ended == ids
