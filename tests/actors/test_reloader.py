"""The reloader: a promotion, coupon type or store settings write reaches the engine through the version poll; a
set loaded from the file while the store was down is kept until the store has rules."""
from __future__ import annotations

import orjson
import pytest
import trio

from actors.engine import build_promotion_set, open_engine
from actors.reloader import LOCAL_FILE_VERSION, open_reloader
from actors.store import open_store

TENANT = "acme"
P = {"id": "P1", "name": "p", "type": "ARTICLE", "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 1}]}


@pytest.fixture
async def store(redis_url):
    async with open_store(redis_url) as s:
        yield s


async def until(predicate, timeout_s: float = 5.0) -> None:
    with trio.fail_after(timeout_s):
        while not predicate():
            await trio.sleep(0.01)


async def test_writes_by_another_process_are_polled_in(store):
    async with open_engine(shards=1, warm_up=False) as engine, \
            open_reloader(store, engine, [TENANT], poll_s=0.02) as reloader:
        assert engine.current(TENANT).version == 0
        version = await store.promotions.put(TENANT, "P1", orjson.dumps(P).decode())  # "another worker"
        await until(lambda: engine.current(TENANT).version == version)
        assert [p.id for p in engine.current(TENANT).ranked] == ["P1"]
        assert engine.current(TENANT).by_id["P1"].coupon_types is None
        await store.coupon_types.put(TENANT, "G", kind="GENERIC", code="SUMMER", promotion_ids=["P1"])
        await until(lambda: engine.current(TENANT).version == version + 1)
        assert engine.current(TENANT).by_id["P1"].coupon_types == frozenset({"G"})  # gated now
        assert await reloader.refresh(TENANT) == version + 1  # nothing new: no rebuild
        assert reloader.rebuilds == 2


async def test_a_file_set_loaded_while_the_store_was_down_is_kept_until_the_store_has_rules(store):
    async with open_engine(shards=1, warm_up=False) as engine:
        engine.swap(TENANT, build_promotion_set([], LOCAL_FILE_VERSION, 1))
        async with open_reloader(store, engine, [TENANT], poll_s=0.02):
            await trio.sleep(0.1)
            assert engine.current(TENANT).version == LOCAL_FILE_VERSION
            await store.promotions.put(TENANT, "P1", orjson.dumps(P).decode())
            await until(lambda: engine.current(TENANT).version == 1)


async def test_store_settings_written_elsewhere_reach_the_engines_zones(store):
    from zoneinfo import ZoneInfo

    async with open_engine(shards=1, warm_up=False) as engine, \
            open_reloader(store, engine, [TENANT], poll_s=0.02):
        assert engine.zones(TENANT).zone("S1") is None
        version, created = await store.stores.put(TENANT, "S1", '{"timeZone": "Europe/Berlin"}')  # "another worker"
        assert created
        await until(lambda: engine.current(TENANT).version == version)
        assert engine.zones(TENANT).zone("S1") == ZoneInfo("Europe/Berlin")
        assert engine.zones(TENANT).zone("S2") is None
        version = await store.stores.put_default(TENANT, '{"timeZone": "Europe/Lisbon"}')
        await until(lambda: engine.zones(TENANT).zone("S2") == ZoneInfo("Europe/Lisbon"))
        assert engine.current(TENANT).version == version
        await store.stores.delete(TENANT, "S1")
        await until(lambda: engine.zones(TENANT).zone("S1") == ZoneInfo("Europe/Lisbon"))


async def test_a_store_fault_while_reloading_is_counted_and_retried(store, monkeypatch):
    """A raw error reply from the promotions read does not end the watcher: the next tick retries."""
    import redis

    real, left = store.promotions.all, [2]

    async def failing(tenant):
        if left[0]:
            left[0] -= 1
            raise redis.ResponseError("ERR something broke")
        return await real(tenant)

    monkeypatch.setattr(store.promotions, "all", failing)
    async with open_engine(shards=1, warm_up=False) as engine, open_reloader(store, engine, [TENANT], poll_s=0.02):
        version = await store.promotions.put(TENANT, "P1", orjson.dumps(P).decode())
        await until(lambda: engine.current(TENANT).version == version)
    assert store.faults.by_actor["reloader"].count == 2
