"""The side-effects job queue: claim, complete, retry, and recovery after a crashed worker."""
import orjson
import trio

from actors.store import open_store
from dre.store.records import BudgetUse

NOW = 1_800_000_000_000


async def confirmed_job(store, tenant, txn):
    await store.transactions.next_counter(tenant, txn, "{}")
    res = await store.transactions.confirm(tenant, txn, 1, customer_id="C", promotions=[BudgetUse("P", 1)],
                                           coupons=[], answer="{}", job_payload=orjson.dumps({"t": txn}).decode())
    return res.job_id


async def test_claim_complete_in_order_and_idempotent(store, tenant):
    ids = [await confirmed_job(store, tenant, t) for t in ("A", "B")]
    a = await store.jobs.claim(tenant, now=NOW, ordered=True)  # the oldest of every bucket
    assert (a.job_id, a.attempts, orjson.loads(a.payload)) == (ids[0], 1, {"t": "A"})
    assert (await store.jobs.get(tenant, a.job_id))["status"] == "RUNNING"
    assert await store.jobs.complete(tenant, a.job_id, '{"ok":1}', now=NOW) is True
    assert await store.jobs.complete(tenant, a.job_id, '{"ok":2}', now=NOW) is False
    done = await store.jobs.get(tenant, a.job_id)
    assert (done["status"], done["results"], done["completedAt"]) == ("COMPLETED", '{"ok":1}', str(NOW))
    assert (await store.jobs.claim(tenant, now=NOW)).job_id == ids[1]
    assert await store.jobs.claim(tenant, now=NOW) is None


async def test_failed_attempts_retry_then_fail(store, tenant):
    job_id = await confirmed_job(store, tenant, "A")
    for attempt in (1, 2):
        j = await store.jobs.claim(tenant, now=NOW)
        assert (j.job_id, j.attempts) == (job_id, attempt)
        status = await store.jobs.fail(tenant, job_id, "boom", max_attempts=2, now=NOW)
        assert status == ("PENDING", "FAILED")[attempt - 1]
    assert await store.jobs.claim(tenant, now=NOW) is None
    assert (await store.jobs.get(tenant, job_id))["lastError"] == "boom"


async def test_job_of_a_crashed_worker_is_recovered_and_completes_once(redis_url, tenant):
    # worker 1 claims the job and dies without finishing it (its actor is simply gone)
    async with open_store(redis_url) as first:
        job_id = await confirmed_job(first, tenant, "A")
        claimed = await first.jobs.claim(tenant, lease_s=30, now=NOW)
        assert claimed.job_id == job_id
    # a restarted service: nothing to claim while the lease runs, the job comes back after it
    async with open_store(redis_url) as second:
        assert await second.jobs.recover(tenant, now=NOW + 29_000) == 0
        assert await second.jobs.claim(tenant, now=NOW + 29_000) is None
        assert await second.jobs.recover(tenant, now=NOW + 30_000) == 1
        again = await second.jobs.claim(tenant, now=NOW + 30_000)
        assert (again.job_id, again.attempts) == (job_id, 2)
        assert await second.jobs.complete(tenant, job_id, "{}") is True
        # the first worker comes back to life late and completes too: nothing changes
        assert await second.jobs.complete(tenant, job_id, '{"late":1}') is False
        assert (await second.jobs.get(tenant, job_id))["results"] == "{}"
        # a lease that ran out on a job completed meanwhile is dropped, not run again
        assert await second.jobs.recover(tenant, force=True) == 0
        assert await second.jobs.claim(tenant) is None


async def test_duplicate_delivery_of_a_completed_job_is_skipped(store, tenant):
    job_id = await confirmed_job(store, tenant, "A")
    await store.jobs.claim(tenant, lease_s=1, now=NOW)
    assert await store.jobs.recover(tenant, now=NOW + 1000) == 1  # lease ran out, still running
    await store.jobs.complete(tenant, job_id, "{}")  # the slow first worker finishes
    assert await store.jobs.claim(tenant, now=NOW + 1000) is None  # requeued copy is skipped


async def test_finished_jobs_are_bounded_completed_drop_payload_and_expire(store, tenant, redis_url):
    import redis

    from actors.store_ops.jobs import COMPLETED_TTL_S, FAILED_TTL_S
    from dre.store import keys

    rdb = redis.Redis.from_url(redis_url, decode_responses=True)
    done_id, failed_id = [await confirmed_job(store, tenant, t) for t in ("A", "B")]
    assert rdb.ttl(keys.job(tenant, done_id)) == -1  # a pending job is kept until it runs
    await store.jobs.claim(tenant, now=NOW)
    await store.jobs.complete(tenant, done_id, '{"ok":1}', now=NOW)
    await store.jobs.claim(tenant, now=NOW)
    assert await store.jobs.fail(tenant, failed_id, "boom", max_attempts=1, now=NOW) == "FAILED"
    assert "payload" not in rdb.hgetall(keys.job(tenant, done_id))
    assert COMPLETED_TTL_S - 5 < rdb.ttl(keys.job(tenant, done_id)) <= COMPLETED_TTL_S
    assert "payload" in rdb.hgetall(keys.job(tenant, failed_id))  # kept whole, to look at and replay
    assert FAILED_TTL_S - 5 < rdb.ttl(keys.job(tenant, failed_id)) <= FAILED_TTL_S


async def sealed_and_queued(store, tenant, txn, t):
    """What a confirm leaves when its worker dies after queueing its job, before committing."""
    await store.transactions.next_counter(tenant, txn, "{}")
    sealed = await store.transactions._seal(tenant, txn, 1, 300, (f"{txn}/1", '{"t": 1}', t))
    assert sealed[0] == "CONFIRMABLE"
    await store.jobs.enqueue(tenant, f"{txn}/1", t)


async def test_a_job_whose_confirm_is_in_flight_waits_and_one_never_committed_is_dropped(store, tenant):
    from dre.store import keys

    t = NOW - 1_000_000  # the job was queued a while ago
    await sealed_and_queued(store, tenant, "A", t)
    assert await store.jobs.claim(tenant, now=t + 200) is None  # HELD while its seal is there: put off
    assert await store.jobs.queue_length(tenant) == 1
    rdb = store.core.client
    rdb.delete(keys.txn_seal(tenant, "A"))  # the seal lapsed: the worker died before its commit
    assert await store.jobs.claim(tenant, now=t + 1_000) is None  # as long as a lost commit may land
    assert await store.jobs.queue_length(tenant) == 1
    assert await store.jobs.claim(tenant, now=t + 20_000) is None  # not committed: dropped
    assert await store.jobs.queue_length(tenant) == 0
    assert rdb.hget(keys.job(tenant, "A/1"), "status") == "HELD"  # lapses by itself (a retry reuses it)


async def test_a_job_whose_confirm_committed_but_never_settled_runs(store, tenant):
    from dre.store import keys

    t = NOW - 1_000_000
    await sealed_and_queued(store, tenant, "A", t)
    reply = await store.transactions._commit(tenant, "A", 1, "C", [BudgetUse("P", 1)], [], "{}", t, 60, "", {})
    assert reply[0] == "CONFIRMED"  # ... and the worker died before txn_settle
    store.core.client.delete(keys.txn_seal(tenant, "A"))  # its seal lapsed
    job = await store.jobs.claim(tenant, now=t + 20_000)
    assert (job.job_id, job.attempts, orjson.loads(job.payload)) == ("A/1", 1, {"t": 1})
    assert await store.jobs.complete(tenant, "A/1", "{}") is True
    assert await store.jobs.queue_length(tenant) == 0
    assert store.core.client.get(keys.txn_done(tenant, "A")) == "1"  # written for the dead worker
    # the lane retries its confirm: the replay of the first answer, nothing consumed again
    again = await store.transactions.confirm(tenant, "A", 1, customer_id="C", promotions=[BudgetUse("P", 1)],
                                             coupons=[], answer='"again"', job_payload="{}")
    assert again.replayed and again.answer == "{}"
    assert (await store.budgets.get(tenant, "P")).redemptions_consumed == 1


async def test_a_confirm_dated_otherwise_queues_its_job_by_the_store_clock(store, tenant):
    """``now`` of a confirm is its business time; the job is claimable by the clock the workers run on."""
    await store.transactions.next_counter(tenant, "F", "{}")
    await store.transactions.confirm(tenant, "F", 1, customer_id=None, promotions=[], coupons=[], answer="{}",
                                     job_payload="{}", now=NOW)  # a date in the future
    await trio.sleep(0.15)  # the enqueue hold
    assert (await store.jobs.claim(tenant)).job_id == "F/1"


async def test_a_confirm_seals_and_queues_its_job_in_one_request(store, tenant):
    """txn_seal.lua and the queue entry (another slot) go as one request of the store actor, in one
    pipeline: a confirm is three requests (seal + queue, commit, settle), four commands."""
    await store.transactions.next_counter(tenant, "A", "{}")
    before, evalsha = store.core.requests, store.core.client.info("commandstats")["cmdstat_evalsha"]["calls"]
    await store.transactions.confirm(tenant, "A", 1, customer_id="C", promotions=[BudgetUse("P", 1)],
                                     coupons=[], answer="{}", job_payload="{}")
    assert store.core.requests - before == 3
    assert store.core.client.info("commandstats")["cmdstat_evalsha"]["calls"] - evalsha == 3  # + one ZADD
    assert await store.jobs.queue_length(tenant) == 1


async def test_an_entry_queued_before_its_seal_waits_while_a_seal_can_come_then_is_dropped(store, tenant):
    """On a cluster a confirm's queue entry may land before txn_seal.lua wrote the job: while the
    job's counter is the latest and its iteration kept, the job worker puts the entry off (the
    seal may still come); once no seal can write it (the counter moved on), it drops the entry."""
    t = NOW - 1_000_000
    await store.transactions.next_counter(tenant, "A", "{}")
    await store.jobs.enqueue(tenant, "A/1", t)  # queued; the seal not landed yet
    assert await store.jobs.claim(tenant, now=t + 20_000) is None
    assert await store.jobs.queue_length(tenant) == 1  # put off, not dropped
    await store.transactions.next_counter(tenant, "A", "{}")  # an evaluate: counter 1 can no longer seal
    assert await store.jobs.claim(tenant, now=t + 40_000) is None
    assert await store.jobs.queue_length(tenant) == 0


async def test_a_refused_confirm_leaves_no_queue_entry(store, tenant):
    import pytest

    from dre.errors import DREError

    async def refused(txn: str, counter: int) -> str:
        with pytest.raises(DREError) as e:
            await store.transactions.confirm(tenant, txn, counter, customer_id="C", promotions=[], coupons=[],
                                             answer="{}", job_payload="{}")
        return e.value.code

    await store.transactions.next_counter(tenant, "A", "{}")
    await store.transactions.next_counter(tenant, "A", "{}")
    assert await refused("A", 1) == "STALE_ITERATION"
    assert await store.jobs.queue_length(tenant) == 0
    await store.transactions.confirm(tenant, "A", 2, customer_id="C", promotions=[], coupons=[],
                                     answer="{}", job_payload="{}")
    await store.transactions.next_counter(tenant, "A", "{}")
    assert await refused("A", 3) == "ALREADY_CONFIRMED"
    assert await store.jobs.queue_length(tenant) == 1  # the confirmed job's entry only
    assert await refused("B", 1) == "NOT_FOUND"  # never issued: left to the job worker, which drops it
    job = await store.jobs.claim(tenant, now=NOW * 2)
    assert job.job_id == "A/2" and await store.jobs.claim(tenant, now=NOW * 2) is None
    assert await store.jobs.queue_length(tenant) == 1  # A/2, leased
