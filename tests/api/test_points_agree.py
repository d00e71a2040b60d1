"""One transaction, one set of points: evaluate's total, confirm's per-promotion points, the points the
side-effects job books and the audit record all agree (docs/semantics.md, "Points of the transaction")."""
from __future__ import annotations

import orjson

from dre.store import keys
from tests.api.conftest import TENANT, post
from tests.api.flows import completed_side_effects, confirm, evaluate, item, load

EARN = {"id": "LOY", "name": "1 point per 1.00", "type": "LOYALTY",
        "actions": [{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}]}
BONUS = {"id": "BONUS", "name": "10 points a visit", "type": "LOYALTY", "actions": [{"type": "ADD_FIXED", "points": 10}]}


async def confirmed_figures(client, services, rdb, txn: str, evaluated: dict) -> dict:
    """Confirm counter 1 of ``txn`` and gather every points figure of it."""
    status, answer, _ = await confirm(client, txn, 1)
    assert status == 200, answer
    se = await completed_side_effects(client, services, txn, 1)
    assert se["status"] == "COMPLETED", se
    audit = orjson.loads(rdb.get(keys.audit_record(TENANT, se["results"]["auditLogId"])))
    return {
        "evaluate": evaluated["totals"]["savingsSummary"]["loyaltyPointsEarned"],
        "confirm by promotion": {a["promotionId"]: a["loyaltyPoints"] for a in answer["appliedPromotions"]},
        "booked": se["results"]["loyalty"]["pointsEarned"],
        "audit": audit["totals"]["points"],
        "audit by promotion": {p["promotionId"]: p["points"] for p in audit["promotions"]},
        "applied": answer["appliedPromotions"],
    }


def assert_agree(f: dict) -> None:
    total = f["evaluate"]
    assert sum(f["confirm by promotion"].values()) == total, f
    assert f["booked"] == f["audit"] == total, f
    assert f["audit by promotion"] == f["confirm by promotion"], f


async def test_example_request_points_of_p4_are_the_total(client, services, example_request, rdb):
    # sale net 28.89 gives 28 points, the returned coffee (4.99) takes 4 back: P4 gives 24, not 28
    status, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert status == 200
    f = await confirmed_figures(client, services, rdb, "T1", body)
    assert f["evaluate"] == 24 and f["confirm by promotion"]["P4"] == 24
    assert_agree(f)


async def test_a_sale_and_a_return_with_a_fixed_award(client, services, rdb):
    await load(services, [EARN, BONUS])
    body = await evaluate(client, "PTS1", [item("1", "A", 3, 10.00), item("2", "A", -1, 10.00)], card="L1")
    f = await confirmed_figures(client, services, rdb, "PTS1", body)
    assert f["confirm by promotion"]["LOY"] == 20  # 30.00 bought, 10.00 returned: 20 points, not 30
    assert_agree(f)  # the fixed award is counted the same way in every figure


async def test_a_return_only_transaction_lists_the_points_it_takes_back(client, services, rdb):
    budgeted = {**EARN, "budget": {"redemptions": 1}}
    await load(services, [budgeted])
    body = await evaluate(client, "PTS2", [item("1", "A", -2, 10.00)], card="L1")
    f = await confirmed_figures(client, services, rdb, "PTS2", body)
    assert f["evaluate"] == -20
    assert f["applied"] == [{"promotionId": "LOY", "amount": 0.0, "loyaltyPoints": -20, "couponCode": None,
                             "budgetConsumed": None}]
    assert_agree(f)
    # taking points back is no redemption: the single redemption is still there for a sale
    assert not rdb.hget(keys.budget(TENANT, "LOY"), "redemptions_consumed")
    await evaluate(client, "PTS3", [item("1", "A", 1, 10.00)], card="L1")
    status, answer, _ = await confirm(client, "PTS3", 1)
    assert status == 200 and answer["appliedPromotions"][0]["budgetConsumed"] == 0.0  # no money in points
    assert rdb.hget(keys.budget(TENANT, "LOY"), "redemptions_consumed") == "1"
