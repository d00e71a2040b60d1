"""The actor itself: batching, per-request errors, timeouts, shutdown."""

import pytest
import trio

from actors.store import open_store
from dre.errors import DREError


async def test_requests_waiting_together_share_a_pipeline(store, tenant):
    async def one(i):
        await store.transactions.next_counter(tenant, f"T{i}", "{}")

    before = store.core.batches
    async with trio.open_nursery() as n:
        for i in range(400):
            n.start_soon(one, i)
    assert store.core.batches - before < 100  # 400 requests, far fewer round trips


async def test_an_error_reply_fails_only_its_own_caller(store, tenant):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="W")
    (code,) = await store.coupons.generate(tenant, "W", 1)
    outcomes = {}

    async def reserve(i):
        try:
            outcomes[i] = await store.coupons.reserve(tenant, code, f"T{i}")
        except DREError as e:
            outcomes[i] = e

    async def counter(i):
        outcomes[f"c{i}"] = await store.transactions.next_counter(tenant, f"X{i}", "{}")

    async with trio.open_nursery() as n:
        for i in range(20):
            n.start_soon(reserve, i)
            n.start_soon(counter, i)
    errors = [v for v in outcomes.values() if isinstance(v, DREError)]
    assert len(errors) == 19 and all(e.code == "COUPON_UNAVAILABLE" for e in errors)
    assert [outcomes[f"c{i}"] for i in range(20)] == [1] * 20


async def test_a_script_bug_is_not_mapped_to_a_client_error(store, tenant):
    import redis

    with pytest.raises(redis.ResponseError):
        await store.core.call(lambda p: p.execute_command("NOSUCHCOMMAND"))
    assert await store.ping()  # the actor lives on


async def test_calls_after_close_are_503(redis_url):
    async with open_store(redis_url) as s:
        pass
    with pytest.raises(DREError) as e:
        await s.ping()
    assert (e.value.status, e.value.code) == (503, "STORE_UNAVAILABLE")


async def test_a_call_that_takes_too_long_is_a_503(redis_url):
    async with open_store(redis_url, call_timeout_s=0.2, pool_size=1) as s:
        # hold the only connection's thread in a slow command; the next call times out
        async with trio.open_nursery() as n:
            n.start_soon(lambda: s.core.call(lambda p: p.execute_command("DEBUG", "SLEEP", "0.15")))
            await trio.sleep(0.01)
            with pytest.raises(DREError) as e:
                await s.core.call(lambda p: p.execute_command("DEBUG", "SLEEP", "0.3"))
            assert e.value.status == 503


# -- one pipeline with mixed outcomes (pool_size=1: everything queued behind a slow command is
#    one batch) ------------------------------------------------------------------------------

async def _queued_behind_a_slow_command(store, calls, during_sleep=None):
    """Run ``calls`` (async callables) while the only connection sleeps 0.2 s in Redis, so they
    all wait in the mailbox and go out as one pipeline. Returns their outcomes (value or
    exception) in order, and how many pipelines that took (the sleep's included)."""
    outcomes = [None] * len(calls)

    async def run(i, call):
        try:
            outcomes[i] = await call()
        except Exception as e:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[i] = e

    before = store.core.batches
    async with trio.open_nursery() as n:
        n.start_soon(lambda: store.core.call(lambda p: p.execute_command("DEBUG", "SLEEP", "0.2")))
        await trio.sleep(0.05)
        if during_sleep is not None:
            await trio.to_thread.run_sync(during_sleep)
        for i, call in enumerate(calls):
            n.start_soon(run, i, call)
    return outcomes, store.core.batches - before


async def test_one_failing_call_in_a_pipeline_leaves_the_others_their_replies(redis_url, tenant):
    import redis

    async with open_store(redis_url, pool_size=1) as store:
        calls = [lambda i=i: store.transactions.next_counter(tenant, f"T{i}", "{}") for i in range(10)]
        calls.append(lambda: store.core.call(lambda p: p.execute_command("NOSUCHCOMMAND")))
        calls.append(lambda: store.coupons.reserve(tenant, "NOSUCHCODE", "T1"))
        calls += [lambda i=i: store.core.call(lambda p: p.incr(f"dre:{{{tenant}}}:n{i}")) for i in range(10)]
        outcomes, batches = await _queued_behind_a_slow_command(store, calls)
    assert batches == 2  # the sleep, then everything else in one pipeline
    assert outcomes[:10] == [1] * 10
    assert isinstance(outcomes[10], redis.ResponseError) and not isinstance(outcomes[10], DREError)
    assert isinstance(outcomes[11], DREError) and outcomes[11].status == 404
    assert outcomes[12:] == [1] * 10


async def test_noscript_reruns_only_the_calls_that_got_it(redis_url, tenant):
    """A SCRIPT FLUSH just before a pipeline: its EVALSHA calls are answered NOSCRIPT (they did
    not run), the plain commands ran. Only the scripts are run again, after one reload."""
    import redis

    flusher = redis.Redis.from_url(redis_url)
    counter = f"dre:{{{tenant}}}:incr"
    async with open_store(redis_url, pool_size=1) as store:
        calls = [lambda i=i: store.transactions.next_counter(tenant, f"T{i}", "{}") for i in range(20)]
        calls += [lambda: store.core.call(lambda p: p.incr(counter)) for _ in range(20)]
        calls.append(lambda: store.coupons.reserve(tenant, "NOSUCHCODE", "T1"))
        outcomes, batches = await _queued_behind_a_slow_command(store, calls, flusher.script_flush)
        assert store.core.script_loads == 1
        assert await store.transactions.next_counter(tenant, "T0", "{}") == 2  # loaded again for good
    assert batches == 2  # the re-run is part of the batch's thread hop, not another batch
    assert outcomes[:20] == [1] * 20  # each script ran exactly once
    assert sorted(outcomes[20:40]) == list(range(1, 21)) and flusher.get(counter) == b"20"
    assert isinstance(outcomes[40], DREError) and outcomes[40].status == 404


async def test_a_call_waiting_for_room_in_a_full_mailbox_times_out(redis_url, tenant):
    async with open_store(redis_url, pool_size=1, mailbox_size=1, call_timeout_s=0.2) as s:
        async def timing_out(call):
            with pytest.raises(DREError):
                await call()

        async with trio.open_nursery() as n:
            n.start_soon(timing_out, lambda: s.core.call(lambda p: p.execute_command("DEBUG", "SLEEP", "0.4")))
            await trio.sleep(0.02)
            n.start_soon(timing_out, s.ping)  # fills the mailbox (and times out in it)
            await trio.sleep(0.02)
            start = trio.current_time()
            with pytest.raises(DREError) as e:
                await s.ping()  # waits for room in the mailbox
            assert e.value.status == 503 and 0.15 < trio.current_time() - start < 0.35
        assert await s.ping()  # and the actor is fine afterwards


async def test_a_timed_out_call_does_not_hold_up_the_others(redis_url, tenant):
    """The deadline keeper answers 503 at the deadline; the late reply is dropped, later calls work."""
    async with open_store(redis_url, pool_size=2, call_timeout_s=0.2) as s:
        async with trio.open_nursery() as n:
            async def slow():
                with pytest.raises(DREError) as e:
                    await s.core.call(lambda p: p.execute_command("DEBUG", "SLEEP", "0.35"))
                assert e.value.status == 503

            n.start_soon(slow)
            await trio.sleep(0.3)  # the slow call has timed out; its connection is still busy
            assert [await s.transactions.next_counter(tenant, "T", "{}") for _ in range(3)] == [1, 2, 3]
        assert s.core.deadlines.unsettled() == 0
