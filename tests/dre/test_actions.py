"""Hand-computed examples, one group per action type. Amounts in cents; arithmetic in comments."""
from dre.pricing import Context
from tests.builders import basket, item, promo
from tests.dre.conftest import amounts


def unit(pct=None, amt=None, fix=None, values=("COFFEE",), typ="ARTICLE_GROUP", **kw):
    a = {"type": typ, "values": list(values), **kw}
    for k, v in (("percentOff", pct), ("amountOff", amt), ("fixedPrice", fix)):
        if v is not None:
            a[k] = v
    return a


def test_percent_off_rounds_each_unit_half_up(price):
    # 10 % of 4.99 = 0.499 -> 0.50 per unit, x2
    r = price([promo(actions=[unit(pct=10)])], basket(item("1", "A1", 2, 4.99, "COFFEE")))
    assert amounts(r) == [{"P1": 100}]


def test_rounding_modes_per_unit(price):
    # 50 % of 0.33 = 16.5 cents per unit, 3 units
    b = basket(item("1", "A1", 3, 0.33, "COFFEE"))
    expected = {"HALF_UP": 51, "DOWN": 48, "UP": 51, "NONE": 50}  # NONE: 49.5 on the line -> 50
    for mode, cents in expected.items():
        r = price([promo(actions=[unit(pct=50)], rounding={"mode": mode})], b)
        assert amounts(r) == [{"P1": cents}], mode


def test_rounding_precision(price):
    # 25 % of 4.99 = 124.75 cents; precision 1 -> 120, precision 0 -> 100
    b = basket(item("1", "A1", 1, 4.99, "COFFEE"))
    for precision, cents in ((2, 125), (1, 120), (0, 100)):
        r = price([promo(actions=[unit(pct=25)], rounding={"mode": "HALF_UP", "precision": precision})], b)
        assert amounts(r) == [{"P1": cents}]


def test_weighed_goods(price):
    # 0.456 kg at 12.99: gross 5.92; 10 % -> unit 1.299 -> 1.30 x 0.456 = 0.5928 -> 0.59
    b = basket(item("1", "CHEESE1", 0.456, 12.99, "COFFEE"))
    assert b.lines[0].gross == 592
    assert amounts(price([promo(actions=[unit(pct=10)])], b)) == [{"P1": 59}]


def test_amount_off_per_unit_is_capped_at_the_unit_price(price):
    b = basket(item("1", "A1", 3, 1.50, "COFFEE"))
    assert amounts(price([promo(actions=[unit(amt=0.30)])], b)) == [{"P1": 90}]
    assert amounts(price([promo(actions=[unit(amt=2.00)])], b)) == [{"P1": 450}]


def test_fixed_price_never_raises_a_price(price):
    b = basket(item("1", "A1", 2, 4.99, "COFFEE"))
    assert amounts(price([promo(actions=[unit(fix=3.99)])], b)) == [{"P1": 200}]
    r = price([promo(actions=[unit(fix=5.00)])], b)
    assert amounts(r) == [{}] and r.applied == ()


def test_article_action_matches_article_numbers_not_groups(price):
    b = basket(item("1", "A1", 1, 10.00, "COFFEE"), item("2", "A2", 1, 10.00, "COFFEE"))
    r = price([promo(actions=[unit(pct=10, values=("A2",), typ="ARTICLE")])], b)
    assert amounts(r) == [{}, {"P1": 100}]


def test_max_quantity_takes_the_dearest_units_first(price):
    # 20 % off, at most 4 units: the 3 units at 8.00 (1.60 each) then 1 unit at 5.00 (1.00)
    b = basket(item("1", "A", 2, 5.00, "G"), item("2", "B", 3, 8.00, "G"))
    r = price([promo(actions=[unit(pct=20, values=("G",), maxQuantity=4)])], b)
    assert amounts(r) == [{"P1": 100}, {"P1": 480}]


def test_receipt_percent_is_rounded_once_and_split_by_largest_remainder(price):
    # 10 % of 33.33 = 3.333 -> 3.33, split over 10.00 / 20.00 / 3.33 -> 100 / 200 / 33
    b = basket(item("1", "A", 1, 10.00), item("2", "B", 1, 20.00), item("3", "C", 1, 3.33))
    r = price([promo(type="RECEIPT", actions=[{"type": "RECEIPT", "percentOff": 10}])], b)
    assert amounts(r) == [{"P1": 100}, {"P1": 200}, {"P1": 33}]


def test_receipt_amount_split_gives_the_odd_cent_to_the_largest_remainder(price):
    # 5.00 over 10.00 / 20.00 / 3.33: exact 150.02 / 300.03 / 49.95 -> 150 / 300 / 50
    b = basket(item("1", "A", 1, 10.00), item("2", "B", 1, 20.00), item("3", "C", 1, 3.33))
    r = price([promo(type="RECEIPT", actions=[{"type": "RECEIPT", "amountOff": 5.00}])], b)
    assert amounts(r) == [{"P1": 150}, {"P1": 300}, {"P1": 50}]


def test_scaled_receipt_takes_the_highest_tier_reached(price):
    tiers = [{"minSpend": 50, "percentOff": 10}, {"minSpend": 20, "percentOff": 5}]
    p = promo(type="RECEIPT", actions=[{"type": "SCALED_RECEIPT", "tiers": tiers}])
    assert amounts(price([p], basket(item("1", "A", 1, 60.00)))) == [{"P1": 600}]
    assert amounts(price([p], basket(item("1", "A", 1, 30.00)))) == [{"P1": 150}]
    assert amounts(price([p], basket(item("1", "A", 1, 10.00)))) == [{}]


def test_quantity_tier(price):
    tiers = [{"minQuantity": 2, "percentOff": 10}, {"minQuantity": 4, "unitPrice": 1.00}]
    p = promo(actions=[{"type": "QUANTITY_TIER", "values": ["SODA"], "tiers": tiers}])
    # 5 units -> unit price 1.00: (2.00-1.00) x 3 and (1.50-1.00) x 2
    b = basket(item("1", "S1", 3, 2.00, "SODA"), item("2", "S2", 2, 1.50, "SODA"), item("3", "X", 9, 1.00))
    assert amounts(price([p], b)) == [{"P1": 300}, {"P1": 100}, {}]
    # 3 units -> 10 %: 0.20 x 3 (tier matched by article number too)
    b = basket(item("1", "SODA", 3, 2.00))
    assert amounts(price([p], b)) == [{"P1": 60}]
    assert amounts(price([p], basket(item("1", "SODA", 1, 2.00)))) == [{}]


def test_bundle_three_for_ten_fills_with_the_dearest_units(price):
    # units 4.50 4.50 3.00 3.00 -> one bundle 4.50+4.50+3.00 = 12.00 -> 2.00 off, split 9.00 : 3.00
    p = promo(type="BUNDLE", actions=[{"type": "BUNDLE", "components": [{"values": ["CHOC"], "quantity": 3}],
                                        "bundlePrice": 10.00}])
    b = basket(item("1", "C1", 2, 4.50, "CHOC"), item("2", "C2", 2, 3.00, "CHOC"))
    assert amounts(price([p], b)) == [{"P1": 150}, {"P1": 50}]
    # 6 units of 3.99 -> two bundles of 11.97 -> 2 x 1.97
    assert amounts(price([p], basket(item("1", "C1", 6, 3.99, "CHOC")))) == [{"P1": 394}]


def test_bundle_of_several_components(price):
    comps = [{"values": ["BURGER"], "quantity": 1}, {"values": ["FRIES"], "quantity": 1},
             {"values": ["DRINK"], "quantity": 1}]
    b = basket(item("1", "B", 2, 3.50, "BURGER"), item("2", "F", 1, 2.00, "FRIES"), item("3", "D", 2, 1.80, "DRINK"))
    # one meal: 7.30 covered -> 2.30 off split 350:200:180 -> 110.27 / 63.01 / 56.71 -> 110 / 63 / 57
    menu = promo(type="BUNDLE", actions=[{"type": "BUNDLE", "components": comps, "bundlePrice": 5.00}])
    assert amounts(price([menu], b)) == [{"P1": 110}, {"P1": 63}, {"P1": 57}]
    # 20 % of 7.30 = 1.46 -> 70 / 40 / 36
    pct = promo(type="BUNDLE", actions=[{"type": "BUNDLE", "components": comps, "percentOff": 20}])
    assert amounts(price([pct], b)) == [{"P1": 70}, {"P1": 40}, {"P1": 36}]
    # amountOff 1.00 per meal
    amt = promo(type="BUNDLE", actions=[{"type": "BUNDLE", "components": comps, "amountOff": 1.00}])
    assert sum(sum(a.values()) for a in amounts(price([amt], b))) == 100


def test_buy_two_get_one_groups_dearest_first(price):
    # units 5 5 5 | 2 2 1: the cheapest of each full group is free -> 5.00 and 1.00
    p = promo(actions=[{"type": "FREE_ITEM", "mode": "GIFT", "buy": {"values": ["G"], "quantity": 2},
                        "get": {"values": ["G"], "quantity": 1}}])
    b = basket(item("1", "A", 3, 5.00, "G"), item("2", "B", 2, 2.00, "G"), item("3", "C", 1, 1.00, "G"))
    assert amounts(price([p], b)) == [{"P1": 500}, {}, {"P1": 100}]
    # 5 units: one full group only
    b = basket(item("1", "A", 5, 1.00, "G"))
    assert amounts(price([p], b)) == [{"P1": 100}]


def gift(buy, n, get, m, pct=None):
    a = {"type": "FREE_ITEM", "buy": {"values": buy, "quantity": n}, "get": {"values": get, "quantity": m}}
    return promo(actions=[a if pct is None else {**a, "percentOff": pct}])


def test_gift_of_another_article_and_half_price(price):
    # different sets: the cheapest get unit, the 3.00 mug, at half price
    p = gift(["COFFEE"], 2, ["MUG"], 1, pct=50)
    b = basket(item("1", "K", 2, 4.00, "COFFEE"), item("2", "M1", 1, 6.00, "MUG"), item("3", "M2", 1, 3.00, "MUG"))
    assert amounts(price([p], b)) == [{}, {}, {"P1": 150}]


def test_buy_two_shirts_get_the_cheaper_tie(price):
    # the issue's example: 2 shirts at 30.00, ties at 12.00 and 20.00 -> the 12.00 tie is free
    p = gift(["SHIRTS"], 2, ["TIES"], 1)
    b = basket(item("1", "S", 2, 30.00, "SHIRTS"), item("2", "T1", 1, 20.00, "TIES"), item("3", "T2", 1, 12.00, "TIES"))
    assert amounts(price([p], b)) == [{}, {}, {"P1": 1200}]


def test_different_sets_repeat_while_both_last(price):
    # 5 shirts: two repetitions (the fifth shirt waits for a sixth); 3 ties: the two cheapest free
    p = gift(["SHIRTS"], 2, ["TIES"], 1)
    b = basket(item("1", "S", 5, 30.00, "SHIRTS"), item("2", "T1", 1, 20.00, "TIES"),
               item("3", "T2", 1, 12.00, "TIES"), item("4", "T3", 1, 15.00, "TIES"))
    assert amounts(price([p], b)) == [{}, {}, {"P1": 1200}, {"P1": 1500}]
    # ties run out first: 4 shirts, 1 tie -> one tie free
    b = basket(item("1", "S", 4, 30.00, "SHIRTS"), item("2", "T1", 1, 20.00, "TIES"))
    assert amounts(price([p], b)) == [{}, {"P1": 2000}]


def test_overlapping_sets_a_unit_in_both_counts_as_buy_first(price):
    # buy 2 drinks, get 1 water; water is a drink too. Colas 2.00 x2, waters 1.50, 1.00, 0.80:
    # 1st: buy the two colas (dearest buy units), the 0.80 water free;
    # 2nd: buy the 1.50 and 1.00 waters, no water left to get -> stop
    p = gift(["DRINKS"], 2, ["W1", "W2", "W3"], 1)
    b = basket(item("1", "COLA", 2, 2.00, "DRINKS"), item("2", "W1", 1, 1.50, "DRINKS"),
               item("3", "W2", 1, 1.00, "DRINKS"), item("4", "W3", 1, 0.80, "DRINKS"))
    assert amounts(price([p], b)) == [{}, {}, {}, {"P1": 80}]
    # a fourth water (1.20): the 2nd repetition buys the 1.50 and 1.20 waters and gets the 1.00 one
    b = basket(item("1", "COLA", 2, 2.00, "DRINKS"), item("2", "W1", 1, 1.50, "DRINKS"),
               item("3", "W2", 1, 1.00, "DRINKS"), item("4", "W3", 1, 0.80, "DRINKS"),
               item("5", "W4", 1, 1.20, "DRINKS"))
    p = gift(["DRINKS"], 2, ["W1", "W2", "W3", "W4"], 1)
    assert amounts(price([p], b)) == [{}, {}, {"P1": 100}, {"P1": 80}, {}]


def test_equal_prices_in_the_get_set_give_the_later_line(price):
    # cheapest first is the reverse of dearest first (ties: line order), so a tie goes to the later line
    p = gift(["SHIRTS"], 1, ["TIES"], 1)
    b = basket(item("1", "S", 1, 30.00, "SHIRTS"), item("2", "T1", 1, 12.00, "TIES"), item("3", "T2", 1, 12.00, "TIES"))
    assert amounts(price([p], b)) == [{}, {}, {"P1": 1200}]


def test_injected_gift_is_granted_not_discounted(price):
    p = promo(type="ARTICLE", actions=[{"type": "FREE_ITEM", "mode": "INJECT", "articleNumber": "GIFT1",
                                         "quantity": 1, "unitPrice": 2.50}])
    r = price([p], basket(item("1", "A", 1, 1.00)))
    assert amounts(r) == [{}]
    assert [(g.article, g.milli, g.unit_price, g.promotion_id) for g in r.granted] == [("GIFT1", 1000, 250, "P1")]
    q = promo("P2", type="ARTICLE", actions=[{"type": "FREE_ITEM", "mode": "INJECT", "articleNumber": "GIFT2"}])
    r = price([q], basket(item("1", "A", 1, 1.00)), Context(prices={"GIFT2": 199}))
    assert [(g.article, g.unit_price) for g in r.granted] == [("GIFT2", 199)]


def test_loyalty_points(price):
    b = basket(item("1", "A", 1, 10.50, "COFFEE"), item("2", "B", 1, 5.00, "TEA"))
    earn = promo("L1", type="LOYALTY", actions=[{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}])
    assert price([earn], b).points == 15  # 15.50 net -> 15 (rounded down)
    double = promo("L2", type="LOYALTY", actions=[{"type": "MULTIPLY_POINTS", "factor": 2, "values": ["COFFEE"]}])
    assert price([earn, double], b).points == 15 + 10  # coffee's 10.50 earns 10 more
    fixed = promo("L3", type="LOYALTY", actions=[{"type": "ADD_FIXED", "points": 50},
                                                   {"type": "SUBTRACT_POINTS", "points": 10}])
    r = price([earn, double, fixed], b)
    assert r.points == 65 and {a.promotion_id: a.points for a in r.applied} == {"L1": 15, "L2": 10, "L3": 40}
    # points are earned on the net after discounts
    disc = promo("D", actions=[unit(pct=50, values=("COFFEE",))])
    assert price([earn, disc], b).points == 10  # 5.25 + 5.00


def test_issue_coupon_applies_without_a_discount(price):
    p = promo("PP", type="RECEIPT", actions=[{"type": "ISSUE_COUPON", "couponTypeId": "THANKS", "count": 2}],
              conditions=[{"type": "MIN_SPEND", "value": 20, "scope": "RECEIPT"}])
    assert p.issue_coupons[0].coupon_type == "THANKS" and p.issue_coupons[0].count == 2
    r = price([p], basket(item("1", "A", 1, 25.00)))
    assert amounts(r) == [{}] and [(a.promotion_id, a.amount) for a in r.applied] == [("PP", 0)]
    assert price([p], basket(item("1", "A", 1, 15.00))).applied == ()
