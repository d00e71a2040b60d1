"""Conditions: validity, pos groups, context, article conditions, thresholds, coupons, budgets."""
from dre.pricing import USABLE, Context, CouponCheck
from tests.builders import basket, item, promo
from tests.dre.conftest import amounts

TEN = [{"type": "RECEIPT", "percentOff": 10}]


def fired(price, p, b, ctx=None) -> bool:
    return bool(price([p], b, ctx).applied)


def test_status_and_validity_window(price):
    b = basket(item("1", "A", 1, 10.00))  # Friday 2026-11-27 10:15 +01:00
    assert fired(price, promo(actions=TEN), b)
    assert not fired(price, promo(actions=TEN, status="INACTIVE"), b)
    assert not fired(price, promo(actions=TEN, validFrom="2026-11-27T09:16:00Z"), b)  # 10:16 local
    assert fired(price, promo(actions=TEN, validFrom="2026-11-27T09:15:00Z"), b)  # inclusive
    assert not fired(price, promo(actions=TEN, validTo="2026-11-27T09:14:59Z"), b)


def test_days_and_hours_in_store_local_time(price):
    b = basket(item("1", "A", 1, 10.00))
    assert fired(price, promo(actions=TEN, validity={"daysOfWeek": [5]}), b)
    assert not fired(price, promo(actions=TEN, validity={"daysOfWeek": [6, 7]}), b)
    assert fired(price, promo(actions=TEN, validity={"from": "10:00", "to": "10:30"}), b)
    assert not fired(price, promo(actions=TEN, validity={"from": "09:00", "to": "10:15"}), b)  # to is exclusive
    assert fired(price, promo(actions=TEN, conditions=[{"type": "TIME", "from": "22:00", "to": "10:16"}]), b)
    assert not fired(price, promo(actions=TEN, conditions=[{"type": "TIME", "daysOfWeek": [1]}]), b)


def test_pos_group_and_context_conditions(price):
    b = basket(item("1", "A", 1, 10.00), channel="ONLINE", customer={"customerId": "C7", "loyalty": {"tier": "GOLD"}},
               paymentInfo={"paymentMeans": "CARD"})
    assert fired(price, promo(actions=TEN, posGroups=["DE-NORTH"]), b)
    assert not fired(price, promo(actions=TEN, posGroups=["DE-SOUTH"]), b)
    for typ, good, bad in (("CHANNEL", "ONLINE", "IN_STORE"), ("POS_GROUP", "DE-NORTH", "X"),
                           ("CUSTOMER_TIER", "GOLD", "SILVER"), ("CUSTOMER", "C7", "C8"),
                           ("PAYMENT_MEANS", "CARD", "CASH")):
        assert fired(price, promo(actions=TEN, conditions=[{"type": typ, "values": [good]}]), b), typ
        assert not fired(price, promo(actions=TEN, conditions=[{"type": typ, "values": [bad]}]), b), typ


def test_article_conditions_and_thresholds(price):
    b = basket(item("1", "A", 2, 5.00, "COFFEE"), item("2", "B", 1, 20.00, "TEA"))
    cond = [{"type": "ARTICLE_GROUP", "values": ["COFFEE"]}]
    assert fired(price, promo(actions=TEN, conditions=cond), b)
    assert not fired(price, promo(actions=TEN, conditions=[{"type": "ARTICLE", "values": ["Z"]}]), b)
    assert fired(price, promo(actions=TEN, conditions=cond + [{"type": "MIN_QUANTITY", "value": 2}]), b)
    assert not fired(price, promo(actions=TEN, conditions=cond + [{"type": "MIN_QUANTITY", "value": 3}]), b)
    # qualifying spend is the coffee (10.00); receipt spend is 30.00
    assert not fired(price, promo(actions=TEN, conditions=cond + [{"type": "MIN_SPEND", "value": 15}]), b)
    assert fired(price, promo(actions=TEN, conditions=cond + [{"type": "MIN_SPEND", "value": 15, "scope": "RECEIPT"}]), b)


def test_exhausted_budget_is_skipped(price):
    b = basket(item("1", "A", 1, 10.00))
    assert not fired(price, promo(actions=TEN), b, Context(exhausted=frozenset({"P1"})))


def test_coupon_gated_promotion(price):
    p = promo(type="COUPON", actions=TEN, conditions=[{"type": "COUPON", "couponTypeIds": ["WELCOME"]}])
    ctx = Context(coupons={"W1": CouponCheck("W1", USABLE, "WELCOME"), "X": CouponCheck("X", "EXPIRED", "WELCOME"),
                           "O": CouponCheck("O", USABLE, "OTHER")})
    r = price([p], basket(item("1", "A", 1, 10.00), coupons=("X", "O", "W1", "NOPE")), ctx)
    assert [d.coupon_code for d in r.lines[0]] == ["W1"]
    assert [(c.code, c.status, c.promotion_ids) for c in r.coupons] == [
        ("X", "EXPIRED", ()), ("O", "NOT_APPLICABLE", ()), ("W1", "APPLIED", ("P1",)), ("NOPE", "INVALID", ())]
    assert not price([p], basket(item("1", "A", 1, 10.00)), ctx).applied


def test_returns_are_priced_as_the_mirror_of_a_sale(price):
    p = promo(actions=[{"type": "ARTICLE_GROUP", "values": ["COFFEE"], "percentOff": 10}],
              conditions=[{"type": "MIN_QUANTITY", "value": 2}, {"type": "ARTICLE_GROUP", "values": ["COFFEE"]}])
    b = basket(item("1", "A", 3, 4.00, "COFFEE"), item("2", "A", -2, 4.00, "COFFEE"), item("3", "A", -1, 4.00, "COFFEE"))
    r = price([p], b)
    # sale of 3 gets 1.20; the two returned units (3 qualifying in the return part) get -0.80 and -0.40
    assert amounts(r) == [{"P1": 120}, {"P1": -80}, {"P1": -40}]
    assert [a.amount for a in r.applied] == [120]  # budgets see the sale part only


def test_recommendation_for_a_missed_threshold(price):
    p = promo("P2", name="10% off the basket", type="RECEIPT", actions=TEN,
              conditions=[{"type": "MIN_SPEND", "value": 50, "scope": "RECEIPT"}])
    q = promo("P3", name="coffee x3", actions=[{"type": "ARTICLE_GROUP", "values": ["COFFEE"], "percentOff": 20}],
              conditions=[{"type": "MIN_QUANTITY", "value": 3}, {"type": "ARTICLE_GROUP", "values": ["COFFEE"]}])
    r = price([p, q], basket(item("1", "A", 2, 4.99, "COFFEE"), item("2", "B", 1, 35.00)))
    recs = [(x.promotion_id, x.missing_amount, x.missing_milli, x.potential_savings, x.message) for x in r.recommendations]
    assert recs == [("P3", 0, 1000, 200, "Buy 1 more for coffee x3"),
                    ("P2", 502, 0, 450, "Spend 5.02 more for 10% off the basket")]


def test_same_input_same_result(price):
    ps = [promo("A", actions=TEN), promo("B", actions=[{"type": "ARTICLE_GROUP", "values": ["G"], "percentOff": 33}])]
    b = basket(item("1", "A", 3, 3.33, "G"), item("2", "B", 1, 7.77))
    assert price(ps, b) == price(list(reversed(ps)), b)
