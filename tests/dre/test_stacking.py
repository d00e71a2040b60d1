"""Calculation modes, clamping and the best-deal choice between exclusive and stackable promotions."""
from tests.builders import basket, item, promo
from tests.dre.conftest import amounts


def pct(pid, p, priority=0, exclusive=False, values=("G",), mode="ADDITIVE"):
    return promo(pid, actions=[{"type": "ARTICLE_GROUP", "values": list(values), "percentOff": p}],
                 priority=priority, exclusive=exclusive, calculationMode=mode)


def test_additive_promotions_each_take_from_the_gross(price):
    b = basket(item("1", "A", 1, 10.00, "G"))
    r = price([pct("P_A", 20, priority=10), pct("P_B", 10, priority=5)], b)
    assert amounts(r) == [{"P_A": 200, "P_B": 100}]
    assert [d.promotion_id for d in r.lines[0]] == ["P_A", "P_B"]  # priority order


def test_multiplicative_takes_from_what_is_left(price):
    b = basket(item("1", "A", 1, 10.00, "G"))
    r = price([pct("P_A", 20, priority=10), pct("P_B", 10, priority=5, mode="MULTIPLICATIVE")], b)
    assert amounts(r) == [{"P_A": 200, "P_B": 80}]  # 10 % of 8.00


def test_ties_in_priority_apply_by_lower_id(price):
    b = basket(item("1", "A", 1, 10.00, "G"))
    r = price([pct("Z", 10, mode="MULTIPLICATIVE"), pct("B", 50)], b)
    assert [d.promotion_id for d in r.lines[0]] == ["B", "Z"] and amounts(r) == [{"B": 500, "Z": 50}]


def test_a_line_never_goes_below_zero(price):
    b = basket(item("1", "A", 1, 5.00, "G"))
    p1 = promo("P1", actions=[{"type": "ARTICLE_GROUP", "values": ["G"], "amountOff": 4.00}], priority=2)
    p2 = promo("P2", actions=[{"type": "ARTICLE_GROUP", "values": ["G"], "amountOff": 3.00}], priority=1)
    assert amounts(price([p1, p2], b)) == [{"P1": 400, "P2": 100}]


def test_stackables_beat_a_smaller_exclusive(price):
    b = basket(item("1", "A", 1, 10.00, "G"))
    r = price([pct("S1", 10), pct("S2", 15), pct("E", 20, exclusive=True)], b)
    assert amounts(r) == [{"S1": 100, "S2": 150}]


def test_a_larger_exclusive_pushes_the_stackables_out(price):
    b = basket(item("1", "A", 1, 10.00, "G"))
    r = price([pct("S1", 10), pct("S2", 15), pct("E", 30, exclusive=True)], b)
    assert amounts(r) == [{"E": 300}]


def test_equal_savings_go_to_the_higher_priority(price):
    b = basket(item("1", "A", 1, 10.00, "G"))
    assert amounts(price([pct("S1", 10, priority=5), pct("S2", 15), pct("E", 25, exclusive=True)], b)) == \
        [{"S1": 100, "S2": 150}]
    assert amounts(price([pct("S1", 10), pct("S2", 15), pct("E", 25, exclusive=True, priority=5)], b)) == [{"E": 250}]
    # same priority: lower id ranks first
    assert amounts(price([pct("S1", 10), pct("S2", 15), pct("E", 25, exclusive=True)], b)) == [{"E": 250}]


def test_exclusives_on_different_lines_both_apply(price):
    b = basket(item("1", "A", 1, 10.00, "G1"), item("2", "B", 1, 10.00, "G2"), item("3", "C", 1, 10.00, "G3"))
    r = price([pct("E1", 10, exclusive=True, values=("G1",)), pct("E2", 20, exclusive=True, values=("G2",)),
               pct("S", 5, values=("G3",))], b)
    assert amounts(r) == [{"E1": 100}, {"E2": 200}, {"S": 50}]


def test_best_combination_of_overlapping_exclusives(price):
    # E_AB touches both lines (12.00 off); E_A and E_B one each (8.00 + 6.00 = 14.00) -> the pair wins
    b = basket(item("1", "A", 1, 40.00, "GA"), item("2", "B", 1, 30.00, "GB"))
    e_ab = promo("E_AB", actions=[{"type": "ARTICLE_GROUP", "values": ["GA", "GB"], "amountOff": 6.00}], exclusive=True, priority=9)
    e_a = pct("E_A", 20, exclusive=True, values=("GA",))
    e_b = pct("E_B", 20, exclusive=True, values=("GB",))
    assert amounts(price([e_ab, e_a, e_b], b)) == [{"E_A": 800}, {"E_B": 600}]


def test_exclusive_receipt_promotion_competes_with_every_line(price):
    b = basket(item("1", "A", 1, 10.00, "G"), item("2", "B", 1, 10.00, "H"))
    receipt = promo("R", type="RECEIPT", exclusive=True, actions=[{"type": "RECEIPT", "percentOff": 15}])
    # 15 % of 20.00 = 3.00 beats 20 % on line 1 only (2.00)
    assert amounts(price([receipt, pct("S", 20)], b)) == [{"R": 150}, {"R": 150}]
    assert amounts(price([receipt, pct("S", 40)], b)) == [{"S": 400}, {}]


def test_points_only_promotions_never_compete(price):
    b = basket(item("1", "A", 1, 10.00, "G"))
    earn = promo("L", type="LOYALTY", exclusive=True, actions=[{"type": "ADD_FIXED", "points": 5}])
    r = price([earn, pct("E", 10, exclusive=True)], b)
    assert amounts(r) == [{"E": 100}] and r.points == 5


def test_multiplicative_receipt_is_split_by_what_is_left_of_each_line(price):
    """Line 1 keeps 5.00 after P1, line 2 all its 10.00: a 3.00 receipt amount after P1 splits 1:2,
    not 1.50 each as it would by gross."""
    b = basket(item("1", "A", 1, 10.00, "G"), item("2", "B", 1, 10.00, "H"))
    p1 = pct("P1", 50, priority=10)
    p2 = promo("P2", type="RECEIPT", actions=[{"type": "RECEIPT", "amountOff": 3.00}], priority=5,
               calculationMode="MULTIPLICATIVE")
    assert amounts(price([p1, p2], b)) == [{"P1": 500, "P2": 100}, {"P2": 200}]
