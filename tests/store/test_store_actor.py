"""The actor itself: batching, per-request errors, timeouts, shutdown."""

import pytest
import trio
from trio.testing import wait_all_tasks_blocked

from actors.store import open_store
from dre.errors import DREError

# The tests below hold a connection with a BLPOP on this key (it blocks only that connection, not
# Redis) until they release it: what happens meanwhile is ordered by the test, not by sleeps.
HOLD = "dre:{acme}:hold"


def _hold(pipe):
    return pipe.execute_command("BLPOP", HOLD, 30)


def _release(url: str, key: str = HOLD) -> None:
    """End the BLPOP that holds a store connection (from a client of its own; call in a thread)."""
    import redis

    with redis.Redis.from_url(url) as r:
        r.lpush(key, "go")


async def test_requests_waiting_together_share_a_pipeline(store, tenant):
    async def one(i):
        await store.transactions.next_counter(tenant, f"T{i}", "{}")

    before = store.core.batches
    async with trio.open_nursery() as n:
        for i in range(400):
            n.start_soon(one, i)
    assert store.core.batches - before < 100  # 400 requests, far fewer round trips


async def test_a_burst_of_calls_on_idle_workers_is_one_pipeline(redis_url, tenant):
    """Only one idle worker waits on the mailbox: a burst is not spread as single-call pipelines
    over the other idle workers (with four connections it went out as four pipelines)."""
    async with open_store(redis_url, pool_size=4) as s:
        assert await s.ping()
        await wait_all_tasks_blocked()  # every worker idle
        before = s.core.batches
        async with trio.open_nursery() as n:
            for i in range(20):
                n.start_soon(s.transactions.next_counter, tenant, f"T{i}", "{}")
        assert s.core.batches - before == 1
        # and a call while that pipeline is out still goes at once, on another connection
        async with trio.open_nursery() as n:
            n.start_soon(lambda: s.core.call(_hold))
            await wait_all_tasks_blocked()
            with trio.fail_after(5):
                assert await s.transactions.next_counter(tenant, "T0", "{}") == 2
            await trio.to_thread.run_sync(_release, redis_url)


async def test_a_large_backlog_is_shared_among_the_idle_workers(redis_url, tenant):
    """A backlog of SPLIT_FROM calls or more goes out in equal shares, one pipeline per idle worker:
    Redis runs one share while the client handles the replies of the one before (one pipeline of
    all of them left each side idle while the other worked)."""
    async with open_store(redis_url, pool_size=4) as s:
        assert await s.ping()
        await wait_all_tasks_blocked()  # every worker idle
        sizes: list[int] = []
        execute = s.core._execute

        async def counted(requests, link):
            sizes.append(len(requests))
            return await execute(requests, link)

        s.core._execute = counted
        async with trio.open_nursery() as n:
            for i in range(200):
                n.start_soon(s.transactions.next_counter, tenant, f"S{i}", "{}")
        assert sum(sizes) == 200
        # 200 waiting, 4 idle workers: 50 each. A worker whose share Redis answered before the
        # last share was taken is idle again, and the rest is split once more (~1 run in 10 here):
        # shares of at most 50, never one pipeline of them all.
        assert max(sizes) == 50 and 4 <= len(sizes) <= 6, sizes
        assert [await s.transactions.latest_counter(tenant, f"S{i}") for i in (0, 99, 199)] == [1, 1, 1]


async def test_a_reply_reaches_its_caller_before_the_rest_of_a_long_pipeline(redis_url, tenant):
    """In a pipeline of SPLIT_FROM calls or more, replies are handed over as they are read: the
    callers of its first commands run while a later command of it still blocks (a second BLPOP)."""
    from actors.store_core import SPLIT_FROM

    later = f"dre:{{{tenant}}}:hold2"
    got, blocked = [], []

    async def counter(i):
        got.append(await s.transactions.next_counter(tenant, f"E{i}", "{}"))

    async def block():
        blocked.append(await s.core.call(lambda p: p.execute_command("BLPOP", later, 30)))

    async with open_store(redis_url, pool_size=1) as s, trio.open_nursery() as n:
        n.start_soon(lambda: s.core.call(_hold))
        await wait_all_tasks_blocked()  # the only connection waits in the first BLPOP
        for i in range(SPLIT_FROM):
            n.start_soon(counter, i)
        await wait_all_tasks_blocked()
        n.start_soon(block)
        await wait_all_tasks_blocked()  # all wait in the mailbox, the BLPOP last
        before = s.core.batches
        await trio.to_thread.run_sync(_release, redis_url)  # one pipeline: the counters, then the BLPOP
        with trio.fail_after(5):
            while len(got) < SPLIT_FROM:
                await trio.sleep(0.01)
        assert got == [1] * SPLIT_FROM and blocked == []
        assert s.core.batches == before + 1  # the first BLPOP's; the long pipeline is still out
        await trio.to_thread.run_sync(_release, redis_url, later)
    assert blocked == [(later, "go")]


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
    async with open_store(redis_url, call_timeout_s=0.5, pool_size=1) as s:
        # the only connection is held (until the release below): the held call and the next one,
        # queued behind it, are both answered 503 at their deadlines, while Redis has answered nothing
        before = s.core.batches
        async with trio.open_nursery() as n:
            async def held():
                with pytest.raises(DREError) as e:
                    await s.core.call(_hold)
                assert e.value.status == 503

            n.start_soon(held)
            await wait_all_tasks_blocked()  # the worker took it: the connection waits in BLPOP
            with trio.fail_after(10):  # without the deadline it would wait for the release: a hang
                with pytest.raises(DREError) as e:
                    await s.ping()
            assert e.value.status == 503
            assert s.core.batches == before  # no pipeline came back: the deadline answered both
            await trio.to_thread.run_sync(_release, redis_url)
        assert await s.ping()


# -- one pipeline with mixed outcomes (pool_size=1: everything queued behind a held connection
#    is one batch) ---------------------------------------------------------------------------

async def _queued_behind_a_held_connection(store, calls, while_held=None):
    """Run ``calls`` (async callables) while the only connection is held in a BLPOP, so they
    all wait in the mailbox and go out as one pipeline once it is released. Returns their
    outcomes (value or exception) in order, and how many pipelines that took (the BLPOP's
    included)."""
    outcomes = [None] * len(calls)

    async def run(i, call):
        try:
            outcomes[i] = await call()
        except Exception as e:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[i] = e

    before = store.core.batches
    async with trio.open_nursery() as n:
        n.start_soon(lambda: store.core.call(_hold))
        await wait_all_tasks_blocked()  # the worker took it: the connection waits in BLPOP
        if while_held is not None:
            await trio.to_thread.run_sync(while_held)
        for i, call in enumerate(calls):
            n.start_soon(run, i, call)
        await wait_all_tasks_blocked()  # every call waits in the mailbox
        await trio.to_thread.run_sync(_release, store.core.url)
    return outcomes, store.core.batches - before


def _reserve_unknown_code(store, tenant: str):
    """One EVALSHA answered by a script error (NOT_FOUND): coupon_reserve of a code that does not
    exist (store.coupons.reserve would read the code's type first, a call of its own)."""
    from actors.store_ops.coupons import code_keys
    from dre.store import keys

    k = [*code_keys(tenant, "NOSUCHCODE", ""), keys.coupon_expiry(tenant), keys.reservation(tenant, "R1")]
    return store.core.call_script(store.core.scripts.coupon_reserve, k,
                                  ["NOSUCHCODE", "T1", "", 0, 1000, "R1", 1000, "", ""])


async def test_one_failing_call_in_a_pipeline_leaves_the_others_their_replies(redis_url, tenant):
    import redis

    async with open_store(redis_url, pool_size=1) as store:
        calls = [lambda i=i: store.transactions.next_counter(tenant, f"T{i}", "{}") for i in range(10)]
        calls.append(lambda: store.core.call(lambda p: p.execute_command("NOSUCHCOMMAND")))
        calls.append(lambda: _reserve_unknown_code(store, tenant))
        calls += [lambda i=i: store.core.call(lambda p: p.incr(f"dre:{{{tenant}}}:n{i}")) for i in range(10)]
        outcomes, batches = await _queued_behind_a_held_connection(store, calls)
    assert batches == 2  # the BLPOP, then everything else in one pipeline
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
        calls.append(lambda: _reserve_unknown_code(store, tenant))
        outcomes, batches = await _queued_behind_a_held_connection(store, calls, flusher.script_flush)
        assert store.core.script_loads == 1
        assert await store.transactions.next_counter(tenant, "T0", "{}") == 2  # loaded again for good
    assert batches == 2  # the re-run is part of the batch's thread hop, not another batch
    assert outcomes[:20] == [1] * 20  # each script ran exactly once
    assert sorted(outcomes[20:40]) == list(range(1, 21)) and flusher.get(counter) == b"20"
    assert isinstance(outcomes[40], DREError) and outcomes[40].status == 404


async def test_a_call_waiting_for_room_in_a_full_mailbox_times_out(redis_url, tenant):
    async with open_store(redis_url, pool_size=1, mailbox_size=1, call_timeout_s=0.5) as s:
        async def timing_out(call):
            with pytest.raises(DREError):
                await call()

        before = s.core.batches
        async with trio.open_nursery() as n:
            n.start_soon(timing_out, lambda: s.core.call(_hold))
            await wait_all_tasks_blocked()  # the worker took it: the only connection waits in BLPOP
            n.start_soon(timing_out, s.ping)  # fills the mailbox (and times out in it)
            await wait_all_tasks_blocked()
            start = trio.current_time()
            # No room comes while the connection is held (until the release below, or until the
            # BLPOP pipeline fails at the 3 s socket timeout): the call must give up at its deadline.
            with trio.fail_after(10):
                with pytest.raises(DREError) as e:
                    await s.ping()  # waits for room in the mailbox
            assert e.value.status == 503
            assert trio.current_time() - start >= 0.5 - 1e-3  # at its deadline (trio never wakes early)
            assert s.core.batches == before  # ... not when room came: the held pipeline is still out
            await trio.to_thread.run_sync(_release, redis_url)
        assert await s.ping()  # and the actor is fine afterwards


async def test_a_timed_out_call_does_not_hold_up_the_others(redis_url, tenant):
    """The deadline keeper answers 503 at the deadline; the late reply is dropped, later calls work."""
    async with open_store(redis_url, pool_size=2, call_timeout_s=0.5) as s:
        with trio.fail_after(10):
            with pytest.raises(DREError) as e:
                await s.core.call(_hold)
        assert e.value.status == 503  # timed out; its connection is still held in BLPOP
        assert [await s.transactions.next_counter(tenant, "T", "{}") for _ in range(3)] == [1, 2, 3]
        batches = s.core.batches
        await trio.to_thread.run_sync(_release, redis_url)
        with trio.fail_after(10):
            while s.core.batches == batches:  # until the late reply is in (and dropped)
                await trio.sleep(0.01)
        assert s.core.deadlines.unsettled() == 0


async def test_a_caller_cancelled_while_its_call_is_in_flight_leaves_the_actor_whole(redis_url, tenant):
    """The caller parks on its request; cancelled, it leaves, and the reply that comes later is
    dropped (nobody to wake), while the calls around it get theirs."""
    async with open_store(redis_url, pool_size=1) as s:
        async with trio.open_nursery() as n:
            n.start_soon(lambda: s.core.call(_hold))
            await wait_all_tasks_blocked()  # the only connection waits in BLPOP
            with trio.move_on_after(0.1) as scope:
                await s.transactions.next_counter(tenant, "T", "{}")  # queued behind the hold
            assert scope.cancelled_caught
            await trio.to_thread.run_sync(_release, redis_url)
        # the cancelled call still ran (its reply was dropped): the next counter is 2
        assert await s.transactions.next_counter(tenant, "T", "{}") == 2
        assert s.core.deadlines.unsettled() == 0


async def test_a_group_of_commands_is_one_request_and_each_keeps_its_own_reply(redis_url, tenant):
    """call_group: commands that do not wait for each other's replies, one request (one wake-up);
    one command's error reply is its own, the others' replies stand."""
    import redis

    from dre.store import keys

    async with open_store(redis_url, pool_size=1) as store:
        before = store.core.requests
        k = keys.txn_counter(tenant, "G")
        got = await store.core.call_group(
            lambda p: p.incr(k), lambda p: p.execute_command("NOSUCHCOMMAND"), lambda p: p.get(k), ("INCR", k),
            ("NOSUCHCOMMAND",))
        assert store.core.requests - before == 1
        assert got[0] == 1 and isinstance(got[1], redis.ResponseError) and got[2] == "1"
        assert got[3] == 2 and isinstance(got[4], redis.ResponseError)  # plain commands: raw replies
