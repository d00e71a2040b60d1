"""couponResults and recommendation texts against hand-written expectations, on both evaluators.

Both evaluators build these with the same shared code (dre.pricing.coupons.coupon_results and
dre.pricing.messages.recommendation_message), so comparing one evaluator with the other proves
nothing about them. Here every status, message and text is written out by hand (amounts computed
from the basket with Decimal), independent of that code.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from dre.pricing import USABLE, Context, CouponCheck
from tests.builders import basket, item, promo

TEN = [{"type": "RECEIPT", "percentOff": 10}]
COUPON = [{"type": "COUPON", "couponTypeIds": ["WELCOME"]}]


def results(r) -> list[tuple[str, str, tuple[str, ...], str]]:
    return [(c.code, c.status, c.promotion_ids, c.message) for c in r.coupons]


@pytest.mark.parametrize(("status", "message"), [
    ("INVALID", "unknown coupon code"),
    ("NOT_ACTIVE", "coupon is not active"),
    ("EXPIRED", "coupon has expired"),
    ("ALREADY_REDEEMED", "coupon was already redeemed"),
    ("RESERVED_ELSEWHERE", "coupon is reserved by another transaction"),
    ("LIMIT_REACHED", "coupon redemption limit reached"),
])
def test_a_code_the_store_refused_keeps_the_store_status(price, status, message):
    p = promo(actions=TEN, conditions=COUPON)
    ctx = Context(coupons={"W1": CouponCheck("W1", status, "WELCOME")})
    r = price([p], basket(item("1", "A", 1, 10.00), coupons=("W1",)), ctx)
    assert results(r) == [("W1", status, (), message)]
    assert not r.applied and r.lines == ((),)


def test_an_unknown_code_is_invalid_and_no_coupon_gives_no_result(price):
    p = promo(actions=TEN)
    r = price([p], basket(item("1", "A", 1, 10.00), coupons=("NOPE",)))
    assert results(r) == [("NOPE", "INVALID", (), "unknown coupon code")]
    assert price([p], basket(item("1", "A", 1, 10.00))).coupons == ()


def test_applied_lists_every_promotion_of_the_code_in_application_order(price):
    low = promo("P1", actions=TEN, conditions=COUPON, priority=1)
    high = promo("P2", actions=[{"type": "ARTICLE", "values": ["A"], "amountOff": 1.00}], conditions=COUPON,
                 priority=9)
    other = promo("P3", actions=TEN)  # no coupon: not in the code's list
    ctx = Context(coupons={"W1": CouponCheck("W1", USABLE, "WELCOME")})
    r = price([low, high, other], basket(item("1", "A", 1, 10.00), coupons=("W1",)), ctx)
    assert results(r) == [("W1", "APPLIED", ("P2", "P1"), "coupon applied")]
    assert [(d.promotion_id, d.coupon_code) for d in r.lines[0]] == [("P2", "W1"), ("P1", "W1"), ("P3", None)]


def test_usable_but_unused_is_not_applicable(price):
    p = promo(actions=TEN, conditions=[*COUPON, {"type": "MIN_SPEND", "value": 50}])
    ctx = Context(coupons={"W1": CouponCheck("W1", USABLE, "WELCOME"), "O1": CouponCheck("O1", USABLE, "OTHER")})
    r = price([p], basket(item("1", "A", 1, 10.00), coupons=("O1", "W1")), ctx)
    text = "coupon valid, but no promotion of it applies to this basket"
    assert results(r) == [("O1", "NOT_APPLICABLE", (), text), ("W1", "NOT_APPLICABLE", (), text)]


def test_two_codes_of_one_type_only_the_first_presented_is_applied(price):
    p = promo(actions=TEN, conditions=COUPON)
    ctx = Context(coupons={"W1": CouponCheck("W1", USABLE, "WELCOME"), "W2": CouponCheck("W2", USABLE, "WELCOME"),
                           "X": CouponCheck("X", "EXPIRED", "WELCOME")})
    r = price([p], basket(item("1", "A", 1, 10.00), coupons=("X", "W2", "W1")), ctx)
    assert results(r) == [("X", "EXPIRED", (), "coupon has expired"),
                          ("W2", "APPLIED", ("P1",), "coupon applied"),
                          ("W1", "NOT_APPLICABLE", (), "coupon valid, but no promotion of it applies to this basket")]
    assert r.applied[0].coupon_code == "W2"


def test_a_coupon_promotion_that_loses_the_best_deal_is_not_applicable(price):
    gated = promo("C", actions=TEN, conditions=COUPON, exclusive=True)  # 1.00
    bigger = promo("E", actions=[{"type": "RECEIPT", "percentOff": 30}], exclusive=True)  # 3.00
    ctx = Context(coupons={"W1": CouponCheck("W1", USABLE, "WELCOME")})
    r = price([gated, bigger], basket(item("1", "A", 1, 10.00), coupons=("W1",)), ctx)
    assert [a.promotion_id for a in r.applied] == ["E"]
    assert results(r) == [("W1", "NOT_APPLICABLE", (), "coupon valid, but no promotion of it applies to this basket")]


def test_a_coupon_promotion_giving_only_points_is_applied(price):
    p = promo("L", type="LOYALTY", actions=[{"type": "ADD_FIXED", "points": 50}], conditions=COUPON)
    ctx = Context(coupons={"W1": CouponCheck("W1", USABLE, "WELCOME")})
    r = price([p], basket(item("1", "A", 1, 10.00), coupons=("W1",)), ctx)
    assert r.points == 50 and r.lines == ((),)
    assert results(r) == [("W1", "APPLIED", ("L",), "coupon applied")]


def test_coupon_results_come_from_the_sale_part_only(price):
    p = promo(actions=TEN, conditions=COUPON)
    ctx = Context(coupons={"W1": CouponCheck("W1", USABLE, "WELCOME")})
    r = price([p], basket(item("1", "A", -1, 10.00), coupons=("W1",)), ctx)
    assert r.lines == ((),)  # no coupon is redeemed on a return line
    assert not r.applied
    assert results(r) == [("W1", "NOT_APPLICABLE", (), "coupon valid, but no promotion of it applies to this basket")]


# ---- recommendation texts ------------------------------------------------------------------


def spend(missing: Decimal) -> str:
    return f"Spend {missing:.2f} more"


def test_spend_text_is_the_gap_to_min_spend_in_major_units(price):
    p = promo("P2", name="Ten off fifty", actions=TEN, conditions=[{"type": "MIN_SPEND", "value": 20}])
    r = price([p], basket(item("1", "A", 2, 4.99), item("2", "B", 1, 5.00)))
    missing = Decimal("20") - (2 * Decimal("4.99") + Decimal("5.00"))  # 5.02
    assert [(x.promotion_id, x.missing_amount, x.missing_milli, x.message) for x in r.recommendations] == [
        ("P2", 502, 0, f"{spend(missing)} for Ten off fifty")]
    assert r.recommendations[0].message == "Spend 5.02 more for Ten off fifty"


@pytest.mark.parametrize(("value", "gross", "text"), [
    ("1234.50", "0.00", "Spend 1234.50 more"),
    ("10.00", "9.99", "Spend 0.01 more"),
    ("100", "90.00", "Spend 10.00 more"),
])
def test_spend_text_keeps_two_decimals(price, value, text, gross):
    p = promo("P", name="Big", actions=TEN, conditions=[{"type": "MIN_SPEND", "value": float(value)}])
    r = price([p], basket(item("1", "A", 1, float(gross))))
    missing = Decimal(value) - Decimal(gross)
    assert [(x.missing_amount, x.message) for x in r.recommendations] == [
        (int(missing * 100), f"{spend(missing)} for Big")]
    assert r.recommendations[0].message == f"{text} for Big"


@pytest.mark.parametrize(("have", "need", "text"), [
    (1.25, 2, "Buy 0.75 more"),
    (1, 3, "Buy 2 more"),
    (0.001, 1.5, "Buy 1.499 more"),
    (2.5, 12.5, "Buy 10 more"),
])
def test_buy_text_is_the_gap_to_min_quantity(price, have, need, text):
    p = promo("Q", name="Kilo deal", actions=[{"type": "ARTICLE_GROUP", "values": ["FRUIT"], "percentOff": 5}],
              conditions=[{"type": "MIN_QUANTITY", "value": need}, {"type": "ARTICLE_GROUP", "values": ["FRUIT"]}])
    r = price([p], basket(item("1", "A", have, 2.00, "FRUIT"), item("2", "B", 7, 1.00, "OTHER")))
    gap = Decimal(str(need)) - Decimal(str(have))
    assert [(x.missing_amount, x.missing_milli, x.message) for x in r.recommendations] == [
        (0, int(gap * 1000), f"Buy {gap.normalize():f} more for Kilo deal")]
    assert r.recommendations[0].message == f"{text} for Kilo deal"


def test_both_gaps_in_one_text_and_the_larger_spend_gap_counts(price):
    p = promo("B", name="Coffee club", actions=[{"type": "ARTICLE_GROUP", "values": ["COFFEE"], "percentOff": 20}],
              conditions=[{"type": "ARTICLE_GROUP", "values": ["COFFEE"]}, {"type": "MIN_QUANTITY", "value": 3},
                          {"type": "MIN_SPEND", "value": 15, "scope": "QUALIFYING"},
                          {"type": "MIN_SPEND", "value": 20, "scope": "RECEIPT"}])
    r = price([p], basket(item("1", "A", 2, 4.00, "COFFEE"), item("2", "B", 1, 9.50, "MILK")))
    qualifying_gap = Decimal("15") - 2 * Decimal("4.00")  # 7.00
    receipt_gap = Decimal("20") - (2 * Decimal("4.00") + Decimal("9.50"))  # 2.50
    missing = max(qualifying_gap, receipt_gap)
    assert [(x.missing_amount, x.missing_milli, x.potential_savings, x.message) for x in r.recommendations] == [
        (700, 1000, 160, f"{spend(missing)} and buy 1 more for Coffee club")]
    assert r.recommendations[0].message == "Spend 7.00 more and buy 1 more for Coffee club"


def test_recommendations_smallest_gap_first_then_quantity_then_id(price):
    def spend_promo(pid, value, name):
        return promo(pid, name=name, actions=TEN, conditions=[{"type": "MIN_SPEND", "value": value}])

    def qty_promo(pid, value, name):
        return promo(pid, name=name, actions=TEN, conditions=[{"type": "MIN_QUANTITY", "value": value}])

    ps = [spend_promo("S2", 12, "s2"), spend_promo("S1", 12, "s1"), spend_promo("S0", 30, "s0"),
          qty_promo("Q1", 4, "q1"), qty_promo("Q0", 3, "q0")]
    r = price(ps, basket(item("1", "A", 2, 5.00)))  # 10.00, 2 units
    assert [(x.promotion_id, x.message) for x in r.recommendations] == [
        ("Q0", "Buy 1 more for q0"), ("Q1", "Buy 2 more for q1"),
        ("S1", "Spend 2.00 more for s1"), ("S2", "Spend 2.00 more for s2"), ("S0", "Spend 20.00 more for s0")]


@pytest.mark.parametrize(("status", "reason", "message"), [
    ("NOT_ACTIVE", "NOT_FOR_CUSTOMER", "coupon is personal: it is valid only for the customer it was issued to"),
    ("NOT_ACTIVE", "CANCELLED", "coupon was cancelled and can no longer be used"),
    ("NOT_APPLICABLE", "NOT_STACKABLE", "coupon cannot be combined with another coupon in the same transaction"),
])
def test_a_finer_reason_is_kept_beside_the_status_with_its_own_message(price, status, reason, message):
    p = promo(actions=TEN, conditions=COUPON)
    ctx = Context(coupons={"W1": CouponCheck("W1", status, "WELCOME", reason=reason)})
    r = price([p], basket(item("1", "A", 1, 10.00), coupons=("W1",)), ctx)
    assert [(c.status, c.reason, c.message) for c in r.coupons] == [(status, reason, message)]
    assert not r.applied
