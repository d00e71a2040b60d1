"""Buy N get M through POST /pos/v2/evaluate: which units are free (docs/semantics.md, FREE_ITEM GIFT)."""
from __future__ import annotations

from tests.api.flows import evaluate, item, load

SHIRTS_AND_TIES = {"id": "TIE", "name": "buy 2 shirts, get a tie free", "type": "ARTICLE",
                   "actions": [{"type": "FREE_ITEM", "mode": "GIFT", "buy": {"values": ["SHIRTS"], "quantity": 2},
                                "get": {"values": ["TIES"], "quantity": 1}}]}
THREE_FOR_TWO = {"id": "3FOR2", "name": "3 for 2 on shirts", "type": "ARTICLE",
                 "actions": [{"type": "FREE_ITEM", "mode": "GIFT", "buy": {"values": ["SHIRTS"], "quantity": 2},
                              "get": {"values": ["SHIRTS"], "quantity": 1}}]}


def discounts(body: dict) -> dict[str, float]:
    return {li["lineReference"]: li["lineDiscount"] for li in body["lineItems"]}


async def test_buy_two_shirts_the_cheaper_tie_is_free(client, services):
    await load(services, [SHIRTS_AND_TIES])
    body = await evaluate(client, "GIFT1", [item("1", "S1", 2, 30.00, "SHIRTS"), item("2", "T1", 1, 20.00, "TIES"),
                                            item("3", "T2", 1, 12.00, "TIES")])
    assert discounts(body) == {"1": 0.0, "2": 0.0, "3": 12.0}  # the dearest tie was free before
    assert body["totals"]["savingsSummary"]["byPromotion"] == [{"promotionId": "TIE", "amount": 12.0}]


async def test_different_sets_repeat_with_the_cheapest_ties_while_shirts_last(client, services):
    await load(services, [SHIRTS_AND_TIES])
    body = await evaluate(client, "GIFT2", [item("1", "S1", 5, 30.00, "SHIRTS"), item("2", "T1", 1, 20.00, "TIES"),
                                            item("3", "T2", 1, 12.00, "TIES"), item("4", "T3", 1, 15.00, "TIES")])
    assert discounts(body) == {"1": 0.0, "2": 0.0, "3": 12.0, "4": 15.0}  # 5 shirts: two repetitions


async def test_one_set_still_gives_the_cheapest_of_each_group(client, services):
    await load(services, [THREE_FOR_TWO])
    body = await evaluate(client, "GIFT3", [item("1", "S1", 3, 30.00, "SHIRTS"), item("2", "S2", 2, 20.00, "SHIRTS"),
                                            item("3", "S3", 1, 10.00, "SHIRTS")])
    # groups 30 30 30 | 20 20 10: one 30.00 shirt and the 10.00 one
    assert discounts(body) == {"1": 30.0, "2": 0.0, "3": 10.0}
