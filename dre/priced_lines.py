"""One pass over a priced basket's lines for everything evaluate writes of them.

The answer (dre.response) lists every line with its discounts and sums them; the sale record
(dre.returns.record) keeps, per sale line, its discount per promotion and sums those again. Both
walked the same ~30 lines and ~60 discounts of every evaluate; this walks them once (issue 18,
goal 6) and each reads what it needs from :class:`PricedLines`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from dre.basket import Basket
from dre.money import MINOR_PER_MAJOR, milli_to_number
from dre.pricing.result import PricedLines, Result


class Labelled(Protocol):
    """What the answer reads of a promotion (a Promotion, its facts, or a linked sale's label)."""

    name: str
    type: str


def priced_lines(basket: Basket, result: Result, labels: Mapping[str, Labelled], *,
                 encoded: bool = False) -> PricedLines:
    """The lines of ``basket`` as ``result`` priced them (``labels``: by promotion id, each
    discounted promotion's name and type; looked up once per promotion).

    ``encoded``: for a caller that only serialises ``items`` and ``sale_rows`` (evaluate): when
    the kernels priced ``result`` they write both as JSON, the same bytes as this walk's
    (kernels.answer_lines; their names and types are the set's, as ``labels`` has them)."""
    if encoded and result.lines_written is not None:
        return result.lines_written.priced_lines()
    # every evaluate runs this: amounts divided inline (dre.money.to_major), the loop's names bound
    # locally
    items: list[dict] = []
    rows: list[list] = []
    gross = discount = sale_gross = 0
    by_promo: dict[str, int] = {}
    named: dict[str, tuple[str, str]] = {}
    minor = MINOR_PER_MAJOR
    promo_sum, label_of = by_promo.get, named.get
    all_sale = True
    for line, discounts in zip(basket.lines, result.lines):
        line_disc = 0
        shaped = []
        got: dict[str, int] = {}
        for d in discounts:
            pid, amount = d.promotion_id, d.amount
            line_disc += amount
            by_promo[pid] = promo_sum(pid, 0) + amount
            got[pid] = got.get(pid, 0) + amount
            label = label_of(pid)
            if label is None:
                p = labels[pid]
                label = named[pid] = (p.name, p.type)
            shaped.append({"promotionId": pid, "promotionName": label[0], "promotionType": label[1],
                           "amount": amount / minor, "couponCode": d.coupon_code})
        lg, milli = line.gross, line.milli
        gross += lg
        discount += line_disc
        items.append({
            "lineReference": line.ref,
            "articleNumber": line.article,
            "quantity": milli_to_number(milli),
            "unitPrice": line.unit_price / minor,
            "lineGross": lg / minor,
            "lineDiscount": line_disc / minor,
            "lineNet": (lg - line_disc) / minor,
            "discounts": shaped,
        })
        if milli > 0:
            rows.append([line.ref, milli, lg, got])
            sale_gross += lg
        else:
            all_sale = False
    sale_totals = by_promo  # no return line: the sale's sums are the answer's
    if not all_sale:
        sale_totals = {}
        for row in rows:
            for pid, amount in row[3].items():
                sale_totals[pid] = sale_totals.get(pid, 0) + amount
    return PricedLines(items, gross, discount, by_promo, rows, sale_totals, len(rows), sale_gross)
