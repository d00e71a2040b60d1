"""`dre serve` on a real 3-master Redis Cluster, started from a node that does not own the
tenant's keys: evaluate, confirm, coupons, loyalty points and post-purchase coupons all work,
and a budget shared by two worker processes is never overspent."""
from __future__ import annotations

from collections import Counter

import httpx
import trio

from actors.store import open_store
from dre.store import keys
from tests.api.conftest import ADMIN_KEY, TENANT
from tests.api.flows import item
from tests.api.test_live_confirm import (
    BUDGET_PROMO,
    HEADERS,
    LIMITS,
    RESTART_PROMOS,
    confirm,
    evaluate,
    gather,
    serve,
)

N_CONFIRMS = 300  # of 1.00 against 100.00: 100 win


def foreign_node_url(redis_cluster) -> str:
    """A master that does not own the tenant's slot: every call must be routed elsewhere."""
    owner = redis_cluster.client().get_node_from_key(keys.budget(TENANT, "B100")).port
    port = next(p for p in redis_cluster.master_ports() if p != owner)
    return f"redis://127.0.0.1:{port}/0"


async def test_serve_on_cluster_checkout_coupons_loyalty_and_budget(tmp_path, cluster_url, redis_cluster):
    async with open_store(cluster_url) as store:
        await store.coupon_types.put(TENANT, "THX", kind="INDIVIDUAL", prefix="THX")
        await store.coupon_types.put(TENANT, "W", kind="INDIVIDUAL", prefix="W")
        (code,) = await store.coupons.generate(TENANT, "W", 1)
    server = serve(tmp_path, foreign_node_url(redis_cluster), [BUDGET_PROMO, *RESTART_PROMOS])
    rc = redis_cluster.client()
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=HEADERS, timeout=30, limits=LIMITS) as http:
            r = await http.post("/pos/coupons/issue", json={"couponTypeId": "W", "customerIds": ["K"]},
                                headers={"Authorization": f"Bearer {ADMIN_KEY}", "Idempotency-Key": "i1"})
            assert r.status_code == 200, r.text
            r = await http.post("/pos/coupons/reserve", json={"code": code, "transactionId": "R1"})
            assert r.status_code == 200, r.text
            r = await http.post("/pos/coupons/redeem", json={"reservationId": r.json()["reservationId"]})
            assert r.status_code == 200, r.text
            # the budget race, from two worker processes: loyalty card on every basket
            priced = await gather(N_CONFIRMS, lambda i: evaluate(http, f"T{i}", [item("1", "A", 1, 5.00)],
                                                                 customer=f"C{i}", card=f"L{i}"), limit=50)
            assert all(p["totals"]["discount"] == 1.0 for p in priced)
            answers = await gather(N_CONFIRMS, lambda i: confirm(http, f"T{i}"))
            outcomes = Counter(a.status_code if a.status_code == 200 else a.json()["error"]["code"] for a in answers)
            assert outcomes == Counter({200: 100, "BUDGET_EXHAUSTED": N_CONFIRMS - 100})
            won = [i for i, a in enumerate(answers) if a.status_code == 200]
            with trio.fail_after(30):  # side effects: points booked, a post-purchase coupon granted
                while any(rc.hget(keys.job(TENANT, f"T{i}/1"), "status") != "COMPLETED" for i in won):
                    await trio.sleep(0.2)
            r = await http.get("/pos/heartbeat")
            assert r.json()["status"] == "UP" and r.json()["circuitBreaker"] == "closed"
    finally:
        assert server.stop() == 0, server.output()[-3000:]
    b = rc.hgetall(keys.budget(TENANT, "B100"))
    assert (b["amount_consumed"], b["redemptions_consumed"]) == ("10000", "100")
    assert all(rc.hget(keys.member(TENANT, f"L{i}"), "points") == "4" for i in won)  # 5.00 - 1.00
    assert rc.hget(keys.coupon(TENANT, code), "status") == "REDEEMED"
    assert "MovedError" not in server.output()
