"""Evaluate knows what is left of each money budget (kept by confirm.lua) and leaves out a
promotion whose discount the remainder cannot cover, instead of offering it until confirm refuses."""
from __future__ import annotations

import redis

from api.services import ExhaustedBudgets
from dre.store import keys
from tests.api.conftest import ADMIN_AUTH, TENANT
from tests.api.flows import confirm, evaluate, item, load

PB = {"id": "PB", "name": "10 % off, budget 12.00", "type": "RECEIPT", "budget": {"amount": 12.00},
      "actions": [{"type": "RECEIPT", "percentOff": 10}]}


def discounts(body: dict) -> list[str]:
    return [d["promotionId"] for ln in body["lineItems"] for d in ln["discounts"]]


async def test_a_remainder_smaller_than_the_discount_is_not_offered(client, services, redis_url):
    await load(services, [PB])
    for txn in ("T1", "T2"):  # 5.00 each: 2.00 left
        body = await evaluate(client, txn, [item("1", "A", 1, 50.00)])
        assert discounts(body) == ["PB"]
        assert (await confirm(client, txn, 1))[0] == 200
    assert redis.Redis.from_url(redis_url).hget(keys.budget_remaining(TENANT), "PB") == b"200"
    # a new transaction wanting 5.00 is priced without PB: no confirm refused, no loop
    big = await evaluate(client, "T3", [item("1", "A", 1, 50.00)])
    assert discounts(big) == [] and big["totals"]["discount"] == 0
    assert (await confirm(client, "T3", 1))[0] == 200
    # a basket whose 10 % fits in the 2.00 still gets it, and its confirm goes through
    small = await evaluate(client, "T4", [item("1", "A", 1, 15.00)])
    assert discounts(small) == ["PB"] and small["totals"]["discount"] == 1.50
    status, answer, _ = await confirm(client, "T4", 1)
    assert status == 200 and answer["appliedPromotions"][0]["budgetConsumed"] == 1.50


async def test_another_worker_learns_the_remainder_from_the_store(client, services):
    await load(services, [PB])
    for txn in ("T1", "T2"):
        await evaluate(client, txn, [item("1", "A", 1, 50.00)])
        assert (await confirm(client, txn, 1))[0] == 200
    fresh = await ExhaustedBudgets(services.store).known(TENANT)  # a worker that confirmed nothing
    assert fresh.remaining == {"PB": 200} and fresh.exhausted == frozenset()


async def test_a_raised_budget_is_offered_again(client, services):
    await load(services, [PB])
    for txn in ("T1", "T2"):
        await evaluate(client, txn, [item("1", "A", 1, 50.00)])
        assert (await confirm(client, txn, 1))[0] == 200
    raised = {**PB, "budget": {"amount": 20.00}}
    r = await client.put("/admin/promotions/PB", json=raised, headers=ADMIN_AUTH)
    assert r.status_code == 200
    services.budgets.invalidate(TENANT)
    body = await evaluate(client, "T3", [item("1", "A", 1, 50.00)])
    assert "PB" in discounts(body)  # 10.00 left now
