"""A promotion set's FactsTable: what the answer and the records read of a promotion, made when
first asked for, the same as reading the promotion itself."""
from __future__ import annotations

import pytest

from dre.answer_facts import FactsTable, facts_table
from dre.evaluate.loyalty import fixed_points
from tests.builders import promo

PROMOS = [
    promo("ART", actions=[{"type": "ARTICLE", "values": ["A"], "percentOff": 10}]),
    promo("RC", type="RECEIPT", actions=[{"type": "RECEIPT", "percentOff": 10}],
          budget={"amount": 2.00, "perCustomerRedemptions": 1}),
    promo("RM", type="RECEIPT", actions=[{"type": "RECEIPT", "amountOff": 5}],
          conditions=[{"type": "MIN_SPEND", "value": 30, "scope": "RECEIPT"}, {"type": "MIN_QUANTITY", "value": 2}]),
    promo("SC", type="RECEIPT", actions=[{"type": "SCALED_RECEIPT", "tiers": [{"minSpend": 20, "percentOff": 5}]}]),
    promo("L", type="LOYALTY", actions=[{"type": "ADD_FIXED", "points": 50}, {"type": "SUBTRACT_POINTS", "points": 10},
                                        {"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}]),
    promo("PP", type="RECEIPT", actions=[{"type": "ISSUE_COUPON", "couponTypeId": "THANKS", "count": 2}]),
]


def test_facts_are_the_promotions_own():
    by_id = {p.id: p for p in PROMOS}
    table = FactsTable(by_id)
    for p in PROMOS:
        f = table[p.id]
        assert f.promotion is p and (f.name, f.type, f.version, f.budget) == (p.name, p.type, p.version, p.budget)
        assert f.label == (p.name, p.type) and f.fixed_points == fixed_points(p)
        assert f.issue_coupons == tuple({"couponTypeId": i.coupon_type, "count": i.count} for i in p.issue_coupons)
        assert f.budget_limits == (None if p.budget is None else {
            "amount": p.budget.amount, "redemptions": p.budget.redemptions, "perCustomer": p.budget.per_customer})
    # the sale record's receipt thresholds: receipt-level promotions' only, each spend (cents, whole
    # receipt?), the lowest tier's for a scaled one, and the quantity (milli)
    assert {p.id: table[p.id].threshold for p in PROMOS if table[p.id].threshold is not None} == {
        "RM": (((3000, True),), 2000), "SC": (((2000, True),), 0)}
    assert table["L"].fixed_points == 40 and table["PP"].issue_coupons == ({"couponTypeId": "THANKS", "count": 2},)
    assert table["RC"].budget_limits == {"amount": 200, "redemptions": None, "perCustomer": 1}


def test_made_when_first_asked_for_and_kept():
    table = FactsTable({p.id: p for p in PROMOS})
    assert len(table) == 0 and table.get("ART") is None  # get and `in` see what is made already
    first = table["ART"]
    assert table["ART"] is first and table.get("ART") is first and list(table) == ["ART"]
    assert table.find("RC") is table["RC"] and table.find("NOPE") is None and "NOPE" not in table
    with pytest.raises(KeyError):
        table["NOPE"]


def test_facts_table_wraps_a_mapping_once():
    table = FactsTable({})
    assert facts_table(table) is table
    made = facts_table({p.id: p for p in PROMOS})
    assert isinstance(made, FactsTable) and made["L"].promotion is PROMOS[4]
