"""The actor itself: batching, per-request errors, timeouts, shutdown."""
import pytest
import trio

from actors.store import open_store
from dre.errors import DREError


async def test_requests_waiting_together_share_a_pipeline(store, tenant):
    async def one(i):
        await store.next_counter(tenant, f"T{i}", "{}")

    before = store.batches
    async with trio.open_nursery() as n:
        for i in range(400):
            n.start_soon(one, i)
    assert store.batches - before < 100  # 400 requests, far fewer round trips


async def test_an_error_reply_fails_only_its_own_caller(store, tenant):
    await store.coupon_type_put(tenant, "W", kind="INDIVIDUAL", prefix="W")
    (code,) = await store.coupon_generate(tenant, "W", 1)
    outcomes = {}

    async def reserve(i):
        try:
            outcomes[i] = await store.coupon_reserve(tenant, code, f"T{i}")
        except DREError as e:
            outcomes[i] = e

    async def counter(i):
        outcomes[f"c{i}"] = await store.next_counter(tenant, f"X{i}", "{}")

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
        await store.call(lambda p: p.execute_command("NOSUCHCOMMAND"))
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
            n.start_soon(lambda: s.call(lambda p: p.execute_command("DEBUG", "SLEEP", "0.15")))
            await trio.sleep(0.01)
            with pytest.raises(DREError) as e:
                await s.call(lambda p: p.execute_command("DEBUG", "SLEEP", "0.3"))
            assert e.value.status == 503
