"""Returns that name their sale (originalTransactionId + originalLineId) give back exactly the
discount that sale line got, per unit, never more; a receipt-level discount whose threshold the
rest of the sale no longer meets is clawed back once. Plus the return-part fixes: no coupon is
redeemed on a return, and a fixed points award is not taken back by a return line."""
from __future__ import annotations

from tests.api.flows import confirm, coupon_types, evaluate, item, load

TENTH = {"id": "ART", "name": "10 % off A", "type": "ARTICLE",
         "actions": [{"type": "ARTICLE", "values": ["A"], "percentOff": 10}]}
HALF = {**TENTH, "name": "50 % off A", "actions": [{"type": "ARTICLE", "values": ["A"], "percentOff": 50}]}
FIVE_FROM_40 = {"id": "RC", "name": "5.00 off from 40.00", "type": "RECEIPT",
                "conditions": [{"type": "MIN_SPEND", "value": 40, "scope": "RECEIPT"}],
                "actions": [{"type": "RECEIPT", "amountOff": 5.00}]}
POINTS = {"id": "LOY", "name": "1 point per 1.00", "type": "LOYALTY",
          "actions": [{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}]}


def back(ref: str, article: str, qty, price, txn: str, line: str) -> dict:
    return {**item(ref, article, qty, price), "originalTransactionId": txn, "originalLineId": line}


def line_discounts(body: dict, k: int = 0) -> dict[str, float]:
    return {d["promotionId"]: d["amount"] for d in body["lineItems"][k]["discounts"]}


async def sell(client, txn: str, items: list[dict]) -> dict:
    body = await evaluate(client, txn, items)
    assert (await confirm(client, txn, body["meta"]["header"]["transactionCounter"]))[0] == 200
    return body


async def test_partial_returns_give_back_the_sale_discount_per_unit_never_more(client, services):
    await load(services, [TENTH, POINTS])
    sale = await sell(client, "S1", [item("1", "A", 3, 10.00)])
    assert line_discounts(sale) == {"ART": 3.0} and sale["totals"]["savingsSummary"]["loyaltyPointsEarned"] == 27
    await load(services, [HALF, POINTS])  # today's promotion is another: the sale's discount counts
    r1 = await evaluate(client, "R1", [back("1", "A", -1, 10.00, "S1", "1")])
    assert line_discounts(r1) == {"ART": -1.0} and r1["lineItems"][0]["lineNet"] == -9.0
    assert r1["totals"]["savingsSummary"]["loyaltyPointsEarned"] == -9  # the points that unit earned
    status, confirmed, _ = await confirm(client, "R1", 1)
    assert status == 200
    # taken back from the promotion that earned them: per-promotion figures add up to the total
    assert {p["promotionId"]: p["loyaltyPoints"] for p in confirmed["appliedPromotions"]
            if p["loyaltyPoints"]} == {POINTS["id"]: -9}
    r2 = await evaluate(client, "R2", [back("1", "A", -2, 10.00, "S1", "1")])
    assert line_discounts(r2) == {"ART": -2.0}
    assert (await confirm(client, "R2", 1))[0] == 200
    # every sold unit is back: a further linked return gives back nothing more
    r3 = await evaluate(client, "R3", [back("1", "A", -1, 10.00, "S1", "1")])
    assert line_discounts(r3) == {} and r3["lineItems"][0]["lineNet"] == -10.0
    # without the link, a return is priced at the current promotions, as before
    plain = await evaluate(client, "R4", [item("1", "A", -1, 10.00)])
    assert line_discounts(plain) == {"ART": -5.0}


async def test_a_third_of_a_line_gives_back_a_third_rounded_and_the_rest_at_the_end(client, services):
    await load(services, [{**TENTH, "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 0.50}]},
                          {**FIVE_FROM_40, "id": "RC0", "conditions": [],
                           "actions": [{"type": "RECEIPT", "amountOff": 1.01}]}])
    sale = await sell(client, "S1", [item("1", "A", 3, 10.00), item("2", "B", 1, 20.00)])
    # RC0 has no threshold (never clawed back); its 1.01 split 0.61 / 0.40 by gross
    assert line_discounts(sale) == {"ART": 1.5, "RC0": 0.61}
    parts = []
    for txn in ("R1", "R2", "R3"):
        r = await evaluate(client, txn, [back("1", "A", -1, 10.00, "S1", "1")])
        parts.append(line_discounts(r))
        assert (await confirm(client, txn, 1))[0] == 200
    assert [p["ART"] for p in parts] == [-0.5, -0.5, -0.5]
    assert [p["RC0"] for p in parts] == [-0.20, -0.21, -0.20]  # cumulative rounding: 0.61 in all, never more


async def test_a_receipt_discount_below_its_threshold_is_clawed_back_once(client, services):
    await load(services, [FIVE_FROM_40])
    sale = await sell(client, "S1", [item("1", "A", 1, 30.00), item("2", "B", 1, 20.00)])
    assert line_discounts(sale, 0) == {"RC": 3.0} and line_discounts(sale, 1) == {"RC": 2.0}
    # B back: 30.00 left, below 40.00: the whole 5.00 comes back on this return (refund 15.00)
    r1 = await evaluate(client, "R1", [back("1", "B", -1, 20.00, "S1", "2")])
    assert line_discounts(r1) == {"RC": -5.0} and r1["lineItems"][0]["lineNet"] == -15.0
    assert (await confirm(client, "R1", 1))[0] == 200
    # A back later: RC was clawed back already, nothing more (refund 30.00; 45.00 paid, 45.00 back)
    r2 = await evaluate(client, "R2", [back("1", "A", -1, 30.00, "S1", "1")])
    assert line_discounts(r2) == {} and r2["lineItems"][0]["lineNet"] == -30.0
    assert (await confirm(client, "R2", 1))[0] == 200


async def test_two_returns_of_the_same_unit_confirm_once(client, services):
    await load(services, [TENTH])
    await sell(client, "S1", [item("1", "A", 1, 10.00)])
    for txn in ("R1", "R2"):  # both priced before either confirms
        r = await evaluate(client, txn, [back("1", "A", -1, 10.00, "S1", "1")])
        assert line_discounts(r) == {"ART": -1.0}
    assert (await confirm(client, "R1", 1))[0] == 200
    status, body, _ = await confirm(client, "R2", 1)
    assert (status, body["error"]["code"], body["error"]["details"][0]["path"]) == (409, "RETURN_EXCEEDS_SALE", "S1")
    again = await evaluate(client, "R2", [back("1", "A", -1, 10.00, "S1", "1")])
    assert line_discounts(again) == {}  # priced again: the unit's discount was given back already
    assert (await confirm(client, "R2", 2))[0] == 200


async def test_a_link_needs_both_ids_and_a_return_line(client, services):
    from tests.api.conftest import post
    from tests.api.flows import request
    await load(services, [TENTH])
    one = {**item("1", "A", -1, 10.00), "originalTransactionId": "S1"}
    sold = {**item("1", "A", 1, 10.00), "originalTransactionId": "S1", "originalLineId": "1"}
    for bad in (one, sold):
        status, body, _ = await post(client, "/pos/v2/evaluate", request("T", [bad]))
        assert status == 400 and body["error"]["code"] == "INVALID_INPUT"


async def test_an_unknown_sale_gives_back_nothing(client, services):
    await load(services, [TENTH])
    r = await evaluate(client, "R1", [back("1", "A", -1, 10.00, "NEVER", "1"), item("2", "A", 1, 10.00)])
    assert line_discounts(r, 0) == {} and line_discounts(r, 1) == {"ART": 1.0}
    assert (await confirm(client, "R1", 1))[0] == 200


async def test_a_coupon_is_not_redeemed_on_return_lines(client, services):
    await load(services, [{"id": "CPN", "name": "10 % off with a code", "type": "COUPON",
                           "actions": [{"type": "RECEIPT", "percentOff": 10}]}])
    await coupon_types(services)  # SUMMER (GENERIC) unlocks CPN
    body = await evaluate(client, "T1", [item("1", "A", 1, 10.00), item("2", "B", -1, 30.00)], coupons=("SUMMER",))
    assert line_discounts(body, 0) == {"CPN": 1.0} and line_discounts(body, 1) == {}
    assert body["totals"]["discount"] == 1.0 and body["couponResults"][0]["status"] == "APPLIED"
    only = await evaluate(client, "T2", [item("1", "B", -1, 30.00)], coupons=("SUMMER",))
    assert only["totals"]["discount"] == 0 and only["couponResults"][0]["status"] == "NOT_APPLICABLE"


async def test_a_return_line_does_not_cancel_a_fixed_points_award(client, services):
    await load(services, [{"id": "FIX", "name": "10 points a visit", "type": "LOYALTY",
                           "actions": [{"type": "ADD_FIXED", "points": 10}]}])
    body = await evaluate(client, "T1", [item("1", "A", 1, 10.00), item("2", "B", -1, 5.00)])
    assert body["totals"]["savingsSummary"]["loyaltyPointsEarned"] == 10


async def test_simulate_prices_a_linked_return_the_same_and_writes_nothing(client, services, redis_url):
    import redis

    from dre.store import keys
    from tests.api.conftest import TENANT, post
    from tests.api.flows import request
    await load(services, [TENTH])
    await sell(client, "S1", [item("1", "A", 2, 10.00), item("2", "B", 1, 5.00)])
    basket = [item("9", "B", 1, 5.00), back("8", "A", -1, 10.00, "S1", "1")]
    status, sim, _ = await post(client, "/pos/v2/simulate", request("R1", basket))
    assert status == 200 and sim["meta"]["isSimulation"] is True
    assert line_discounts(sim, 0) == {} and line_discounts(sim, 1) == {"ART": -1.0}
    assert [ln["lineReference"] for ln in sim["lineItems"]] == ["9", "8"]
    db = redis.Redis.from_url(redis_url, decode_responses=True)
    assert set(db.hkeys(keys.txn_sale(TENANT, "S1"))) == {"record"}  # nothing counted by simulate
