"""Coupon limits under 500 concurrent requests through the app (real Redis): an INDIVIDUAL code is
redeemed once, a GENERIC code with maxRedemptions 50 exactly 50 times. (Reserves of a GENERIC code
come from 500 lanes with their own POS keys: one key may hold only half of the uses left.)"""
from __future__ import annotations

from collections import Counter

import pytest
import trio

from api.app import create_app
from api.worker import open_services
from dre.store import keys
from tests.api import promos
from tests.api.conftest import API_KEYS, TENANT, make_config, post
from tests.api.flows import confirm, coupon_types, evaluate, item, load

N = 500


async def _all(n: int, attempt) -> Counter:
    """Run ``attempt(i)`` for i in range(n) at once; count the outcomes it returns."""
    outcomes: Counter = Counter()

    async def one(i: int) -> None:
        outcomes[await attempt(i)] += 1

    async with trio.open_nursery() as nursery:
        for i in range(n):
            nursery.start_soon(one, i)
    return outcomes


def lane_auth(i: int) -> dict:
    return {"Authorization": f"Bearer lane-{i}", "Content-Type": "application/json"}


@pytest.fixture
async def lanes_client(redis_url):
    """The app with N more POS keys of the tenant, ``lane-<i>`` (see :func:`lane_auth`)."""
    lane_keys = ",".join(f"{TENANT}:lane-{i}" for i in range(N))
    async with open_services(make_config(DRE_API_KEYS=f"{API_KEYS},{lane_keys}"), redis_url, warm_up=False) as s:
        async with create_app(s).test_app() as test_app:
            yield s, test_app.test_client()


async def _reserve_and_redeem(client, code: str, txn: str, headers: dict | None = None) -> str:
    status, r, _ = await post(client, "/pos/coupons/reserve", {"code": code, "transactionId": txn}, headers)
    if status != 200:
        return f"reserve {status} {r['error']['details'][0]['issue']}"
    status, body, _ = await post(client, "/pos/coupons/redeem", {"reservationId": r["reservationId"]}, headers)
    return "REDEEMED" if status == 200 else f"redeem {status}"


async def test_500_concurrent_redeems_of_one_reservation_one_succeeds(client, services, rdb):
    [code] = (await coupon_types(services))[:1]
    _, r, _ = await post(client, "/pos/coupons/reserve", {"code": code, "transactionId": "T1"})

    async def redeem(i: int) -> int:
        status, _, _ = await post(client, "/pos/coupons/redeem", {"reservationId": r["reservationId"]})
        return status

    assert await _all(N, redeem) == Counter({200: 1, 409: N - 1})
    assert rdb.hget(keys.coupon(TENANT, code), "status") == "REDEEMED"


async def test_500_concurrent_checkouts_on_one_individual_code_one_succeeds(client, services, rdb):
    code = (await coupon_types(services))[0]
    outcomes = await _all(N, lambda i: _reserve_and_redeem(client, code, f"T{i}"))
    assert outcomes["REDEEMED"] == 1
    assert sum(outcomes.values()) == N and set(outcomes) <= {"REDEEMED", "reserve 409 RESERVED_ELSEWHERE",
                                                             "reserve 409 ALREADY_REDEEMED"}
    assert rdb.hget(keys.coupon(TENANT, code), "status") == "REDEEMED"


async def test_generic_code_with_max_50_is_used_exactly_50_times_by_500(lanes_client, rdb):
    services, client = lanes_client
    await coupon_types(services)
    outcomes = await _all(N, lambda i: _reserve_and_redeem(client, "SUMMER", f"T{i}", lane_auth(i)))
    assert outcomes["REDEEMED"] == 50 and outcomes["reserve 409 LIMIT_REACHED"] == N - 50
    assert rdb.hget(keys.coupon(TENANT, "SUMMER"), "uses") == "50"
    assert rdb.zcard(keys.coupon_holds(TENANT, "SUMMER")) == 0


async def test_generic_code_with_max_50_under_500_concurrent_confirms(client, services, rdb):
    await load(services, promos.ALL)
    await coupon_types(services)
    for i in range(N):  # every basket priced while the code is still usable
        body = await evaluate(client, f"T{i}", [item("1", "X", 1, 10.00)], customer=f"C{i}", coupons=("SUMMER",))
        assert body["couponResults"][0]["status"] == "APPLIED"

    async def one(i: int) -> str:
        status, body, _ = await confirm(client, f"T{i}", 1)
        return "CONFIRMED" if status == 200 else body["error"]["details"][0]["issue"]

    assert await _all(N, one) == Counter({"CONFIRMED": 50, "LIMIT_REACHED": N - 50})
    assert rdb.hget(keys.coupon(TENANT, "SUMMER"), "uses") == "50"
