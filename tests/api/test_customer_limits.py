"""Per-customer limits at evaluate (issue 17, point 2): a customer who has redeemed a promotion
budget.perCustomerRedemptions times is not offered it again (missedPromotions says why), so the
lane does not loop evaluate -> confirm 409 -> evaluate; confirm's refusal stays the race guard."""
from __future__ import annotations

import trio

from dre.store.replies import store_unavailable
from tests.api.conftest import post
from tests.api.flows import confirm, evaluate, item, load, request

ONCE = {"id": "ONCE", "name": "0.50 off B, once per customer", "type": "ARTICLE",
        "budget": {"perCustomerRedemptions": 1},
        "conditions": [{"type": "ARTICLE", "values": ["B"]}],
        "actions": [{"type": "ARTICLE", "values": ["B"], "amountOff": 0.50}]}
TWICE = {"id": "TWICE", "name": "1.00 off D, twice per customer", "type": "ARTICLE",
         "budget": {"perCustomerRedemptions": 2},
         "conditions": [{"type": "ARTICLE", "values": ["D"]}],
         "actions": [{"type": "ARTICLE", "values": ["D"], "amountOff": 1.00}]}
MISSED_ONCE = {"promotionId": "ONCE", "promotionName": ONCE["name"], "reason": "CUSTOMER_LIMIT_REACHED",
               "message": f"{ONCE['name']}: this customer has used it once, its limit per customer"}
B = [item("1", "B", 1, 5.00)]


async def test_a_customer_at_the_limit_is_not_offered_it_and_the_lane_confirms(client, services):
    await load(services, [ONCE])
    first = await evaluate(client, "T1", B, customer="C1")
    assert first["totals"]["discount"] == 0.5 and first["missedPromotions"] == []
    assert (await confirm(client, "T1", 1))[0] == 200
    again = await evaluate(client, "T2", B, customer="C1")
    assert again["totals"]["discount"] == 0 and again["lineItems"][0]["discounts"] == []
    assert again["missedPromotions"] == [MISSED_ONCE]
    status, answer, _ = await confirm(client, "T2", 1)  # nothing to refuse: the lane goes on
    assert status == 200, answer
    # a basket the promotion would not touch says nothing about it
    assert (await evaluate(client, "T3", [item("1", "X", 1, 5.00)], customer="C1"))["missedPromotions"] == []
    # another customer, or none, still gets it
    assert (await evaluate(client, "T4", B, customer="C2"))["totals"]["discount"] == 0.5
    assert (await evaluate(client, "T5", B, customer=None))["totals"]["discount"] == 0.5


async def test_the_limit_counts_redemptions(client, services):
    await load(services, [ONCE, TWICE])
    basket = [item("1", "D", 1, 5.00)]
    for n, txn in enumerate(("T1", "T2")):
        body = await evaluate(client, txn, basket, customer="C1")
        assert body["totals"]["discount"] == 1.0, n
        assert (await confirm(client, txn, 1))[0] == 200
    body = await evaluate(client, "T3", basket + [item("2", "B", 1, 5.00)], customer="C1")
    assert body["totals"]["discount"] == 0.5  # ONCE still open, TWICE used up
    assert [m["promotionId"] for m in body["missedPromotions"]] == ["TWICE"]
    assert "used it 2 times" in body["missedPromotions"][0]["message"]


async def test_simulate_prices_the_same_and_says_why_when_asked(client, services):
    await load(services, [ONCE])
    await evaluate(client, "T1", B, customer="C1")
    assert (await confirm(client, "T1", 1))[0] == 200
    sim = request("S1", B, customer="C1")
    status, body, _ = await post(client, "/pos/v2/simulate", sim)
    assert status == 200 and body["totals"]["discount"] == 0 and body["missedPromotions"] == []
    sim["request"]["includeMissedPromotions"] = True
    status, body, _ = await post(client, "/pos/v2/simulate", sim)
    assert status == 200 and body["missedPromotions"] == [MISSED_ONCE]


async def test_confirm_still_refuses_a_race(client, services):
    # both lanes priced before either confirmed: the second confirm is the one refused
    await load(services, [ONCE])
    await evaluate(client, "T1", B, customer="C1")
    await evaluate(client, "T2", B, customer="C1")
    assert (await confirm(client, "T1", 1))[0] == 200
    status, body, _ = await confirm(client, "T2", 1)
    assert (status, body["error"]["details"]) == (409, [{"path": "ONCE", "issue": "perCustomer"}])
    # and the lane's next evaluate knows: no loop
    body = await evaluate(client, "T2", B, customer="C1")
    assert body["totals"]["discount"] == 0 and body["missedPromotions"] == [MISSED_ONCE]
    assert (await confirm(client, "T2", 2))[0] == 200


async def test_when_usage_cannot_be_read_evaluate_still_prices(client, services, monkeypatch):
    await load(services, [ONCE])
    await evaluate(client, "T1", B, customer="C1")
    assert (await confirm(client, "T1", 1))[0] == 200

    async def down(*args, **kwargs):
        raise store_unavailable("test: store down")

    async def hung(*args, **kwargs):
        await trio.sleep_forever()

    for fault in (down, hung):
        monkeypatch.setattr(services.store.budgets, "customer_usage", fault)
        body = await evaluate(client, f"T-{fault.__name__}", B, customer="C1")
        # usage unknown: priced as if none was used (confirm is the guard), nothing said
        assert body["totals"]["discount"] == 0.5 and body["missedPromotions"] == []
    status, answer, _ = await confirm(client, "T-hung", 1)
    assert (status, answer["error"]["details"]) == (409, [{"path": "ONCE", "issue": "perCustomer"}])
