"""dre.returns.price_linked on hand-made sale records (the HTTP flow is tests/api/test_linked_returns.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from dre.basket import Basket, Line
from dre.returns import SaleState, price_linked
from dre.returns.linked import counter

RECORD = {  # 3 x A at 10.00 (ART 0.50 each; RC 3.00), 1 x B at 20.00 (RC 2.00); RC needs 40.00
    "lines": [["1", 3000, 3000, {"ART": 150, "RC": 300}], ["2", 1000, 2000, {"RC": 200}]],
    "totals": {"ART": 150, "RC": 500},
    "receipt": {"RC": {"spend": [[4000, True]], "qty": 0, "qual": [0, 1]}},
    "points": 45, "pointsBy": {"LOY": 45}, "net": 4350, "names": {"ART": ["a", "ARTICLE"], "RC": ["r", "RECEIPT"]},
}


def basket(*lines: Line) -> Basket:
    return Basket(lines, datetime(2026, 11, 27, tzinfo=timezone.utc), "DE", "IN_STORE")


def ret(ref: str, milli: int, price: int, line: str, txn: str = "S1") -> Line:
    return Line(ref, "A", "", -milli, price, -price * milli // 1000, None, (txn, line))


def test_two_return_lines_of_one_sale_line_count_one_after_the_other():
    got = price_linked(basket(ret("x", 2000, 1000, "1"), ret("y", 2000, 1000, "1")), {"S1": SaleState(RECORD)})
    art = {i: {d.promotion_id: d.amount for d in ds}.get("ART") for i, ds in got.discounts.items()}
    assert art == {0: -100, 1: -50}  # only 3 units were sold: the 4th gives back nothing
    assert (counter("q", "1"), 2000, 3000) in got.increments["S1"] and (counter("q", "1"), 1000, 3000) in \
        got.increments["S1"]


def test_a_clawback_never_turns_a_refund_into_a_charge():
    # B back (20.00): 30.00 left < 40.00, so all 5.00 of RC comes back, within the 20.00 refund
    got = price_linked(basket(ret("x", 1000, 2000, "2")), {"S1": SaleState(RECORD)})
    assert {d.promotion_id: d.amount for d in got.discounts[0]} == {"RC": -500}
    # a return priced at 1.00 (whatever the POS sends) can claw back at most 1.00
    cheap = price_linked(basket(ret("x", 1000, 100, "2")), {"S1": SaleState(RECORD)})
    assert {d.promotion_id: d.amount for d in cheap.discounts[0]} == {"RC": -100}
    assert (counter("c", "RC"), 1, 1) in cheap.increments["S1"]


def test_after_a_clawback_and_for_unknown_sales_or_lines_nothing_more():
    used = {counter("c", "RC"): 1, counter("t", "RC"): 500}
    got = price_linked(basket(ret("x", 1000, 1000, "1"), ret("y", 1000, 1000, "9"), ret("z", 1000, 1000, "1", "S2")),
                       {"S1": SaleState(RECORD, used), "S2": None})
    assert [{d.promotion_id: d.amount for d in got.discounts[i]} for i in range(3)] == [{"ART": -50}, {}, {}]
    assert got.points == {"LOY": 45 * 950 // 4350}  # the net refunded by the line the sale has, to its earner
