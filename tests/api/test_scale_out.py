"""Scale-out: two independent `dre serve` instances (own ports, own worker processes) sharing one
Redis keep every guarantee - counters, coupon limits and exactly-once redemption, budgets."""
from __future__ import annotations

import httpx
import orjson
import pytest

from actors.store import open_store
from dre.store import keys
from actors.redis_server import start_redis_server
from tests.api.conftest import ADMIN_KEY, KEY, TENANT
from tests.api.flows import item, request
from tests.api.promos import put_coupon_types
from tests.api.test_live_confirm import BUDGET_PROMO, HEADERS, LIMITS, gather, serve

N = 300
# every lane its own POS key: one key may hold only half of a GENERIC code's uses left at a time
LANE_KEYS = ",".join(f"{TENANT}:lane-{i}" for i in range(N))


@pytest.fixture
def two_instances(tmp_path):
    server = start_redis_server(tmp_path / "redis", persist=False)
    a = b = None
    try:
        keys_ = f"{TENANT}:{KEY},{TENANT}:{ADMIN_KEY}:admin,{LANE_KEYS}"
        a = serve(tmp_path, server.url, [BUDGET_PROMO], workers=1, DRE_API_KEYS=keys_)
        b = serve(tmp_path, server.url, [BUDGET_PROMO], workers=1, DRE_API_KEYS=keys_)
        yield server.url, (a, b)
    finally:
        for s in (a, b):
            if s is not None:
                assert s.stop() == 0
        server.stop()


async def test_two_instances_share_counters_coupons_and_budgets(two_instances):
    redis_url, instances = two_instances
    clients = [httpx.AsyncClient(base_url=s.url, headers=HEADERS, limits=LIMITS, timeout=30) for s in instances]
    async with open_store(redis_url) as store:
        welcome = await put_coupon_types(store, TENANT)
    try:
        # counters: N concurrent evaluates of one transaction, alternating instances -> 1..N
        async def evaluate(i: int) -> int:
            r = await clients[i % 2].post("/pos/v2/evaluate", content=orjson.dumps(request("SHARED", [item("1", "Z", 1, 1.0)])))
            assert r.status_code == 200, r.text
            return r.json()["meta"]["header"]["transactionCounter"]

        assert sorted(await gather(N, evaluate, 100)) == list(range(1, N + 1))

        # a GENERIC code limited to 50 uses, reserved and redeemed N times across both instances
        async def use_generic(i: int) -> bool:
            http = clients[i % 2]
            lane = {"Authorization": f"Bearer lane-{i}"}
            r = await http.post("/pos/coupons/reserve", json={"code": "SUMMER", "transactionId": f"G{i}"}, headers=lane)
            if r.status_code != 200:
                assert r.status_code == 409, r.text
                return False
            r = await http.post("/pos/coupons/redeem", json={"reservationId": r.json()["reservationId"]}, headers=lane)
            assert r.status_code == 200, r.text
            return True

        assert sum(await gather(N, use_generic, 100)) == 50

        # one INDIVIDUAL code: N transactions try to reserve and redeem it; exactly one redeems
        async def use_individual(i: int) -> bool:
            http = clients[i % 2]
            r = await http.post("/pos/coupons/reserve", json={"code": welcome[0], "transactionId": f"I{i}"})
            if r.status_code != 200:
                return False
            r = await http.post("/pos/coupons/redeem", json={"reservationId": r.json()["reservationId"]})
            return r.status_code == 200

        assert sum(await gather(N, use_individual, 100)) == 1

        # a budget of 100.00 at 1.00 per basket: 150 baskets confirmed across both -> exactly 100
        async def checkout(i: int) -> str:
            http = clients[i % 2]
            r = await http.post("/pos/v2/evaluate", content=orjson.dumps(request(f"B{i}", [item("1", "A", 1, 5.0)])))
            assert r.status_code == 200, r.text
            body = {"request": {"header": {"transactionId": f"B{i}", "transactionCounter": 1}}}
            r = await clients[(i + 1) % 2].post("/pos/v2/confirm", json=body)  # confirmed on the other instance
            if r.status_code == 409:
                assert r.json()["error"]["code"] == "BUDGET_EXHAUSTED"
                return "refused"
            assert r.status_code == 200, r.text
            used = [a for a in r.json()["appliedPromotions"] if a["promotionId"] == BUDGET_PROMO["id"]]
            # baskets priced once the exhaustion was known carry no discount and consume nothing
            return "consumed" if used and used[0]["budgetConsumed"] == 1.0 else "without"

        outcomes = await gather(150, checkout, 100)
        assert outcomes.count("consumed") == 100 and outcomes.count("refused") + outcomes.count("without") == 50
        consumed = store_budget(redis_url)
        assert consumed["amount_consumed"] == "10000" and consumed["redemptions_consumed"] == "100"
    finally:
        for c in clients:
            await c.aclose()


def store_budget(url: str) -> dict:
    import redis

    return redis.Redis.from_url(url, decode_responses=True).hgetall(keys.budget(TENANT, BUDGET_PROMO["id"]))
