"""What confirm keeps of a sale for the returns that may name it later."""
from __future__ import annotations

from collections.abc import Mapping

from dre.answer_facts import FactsTable, facts_table
from dre.basket import Basket
from dre.evaluate.eligibility import qualifying
from dre.priced_lines import priced_lines
from dre.pricing.result import PricedLines, Result
from dre.promotion import model as m


def sale_record(basket: Basket, result: Result, promotions: Mapping[str, m.Promotion] | FactsTable,
                lines: PricedLines | None = None) -> dict | None:
    """The record of a priced basket's sale part (None when no sale line got a discount or points).

    Its ``lines``: [lineReference, quantity (milli), gross, {promotion id: discount cents}] per sale
    line; ``totals``: each promotion's sale-part discount; ``receipt``: per receipt-level promotion
    with a threshold, ``spend`` [[cents, whole receipt?]], ``qty`` (milli) and ``qual`` (indices into
    ``lines`` of its qualifying lines); ``points``/``net``: the sale's proportional points
    (everything but ADD_FIXED / SUBTRACT_POINTS) and its net; ``pointsBy``: those points per
    promotion; ``names``: id -> [name, type].

    Args:
        promotions: by id, or their facts (the set's table: dre.answer_facts).
        lines: :func:`dre.priced_lines.priced_lines` of the basket and result when the caller
            walked them already (evaluate's answer did); walked here if None (``promotions`` must
            then name every discounted promotion, a linked return's too).
    """
    facts = facts_table(promotions)
    if lines is None:
        lines = priced_lines(basket, result, facts)
    rows, totals = lines.sale_rows, lines.sale_totals
    if not lines.sale_lines:
        return None
    # each promotion's proportional points (ADD_FIXED / SUBTRACT_POINTS are per transaction: kept)
    points_by = {}
    for a in result.applied:
        f = facts.find(a.promotion_id)
        if f is not None and (pts := a.points - f.fixed_points) > 0:
            points_by[a.promotion_id] = pts
    points = sum(points_by.values())
    if not totals and points <= 0:
        return None
    receipt, names = {}, {}
    sale_lines = None
    for pid in totals:
        f = facts.find(pid)
        if f is None:
            continue
        names[pid] = f.label
        if f.threshold is not None:  # few promotions: the sale's lines listed for them only
            if sale_lines is None:
                sale_lines = [ln for ln in basket.lines if ln.milli > 0]
            spend, qty = f.threshold  # ``qual`` indexes sale_lines
            receipt[pid] = {"spend": spend, "qty": qty, "qual": qualifying(f.promotion, sale_lines)}
    for pid in points_by:  # found above
        if pid not in names:
            names[pid] = facts[pid].label
    net = lines.sale_gross - sum(totals.values())
    return {"lines": rows, "totals": totals, "receipt": receipt, "points": points, "pointsBy": points_by,
            "net": net, "names": names}
