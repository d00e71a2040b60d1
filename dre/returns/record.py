"""What confirm keeps of a sale for the returns that may name it later."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from dre.basket import Basket, Line
from dre.evaluate.eligibility import qualifying
from dre.evaluate.loyalty import fixed_points
from dre.priced_lines import PricedLines, priced_lines
from dre.pricing.result import Result
from dre.promotion import model as m

_RECEIPT_LEVEL = (m.ReceiptAction, m.ScaledReceiptAction)


def _threshold(p: m.Promotion, lines: Sequence[Line]) -> dict | None:
    """The conditions a receipt-level promotion needs the (remaining) sale to meet, or None when it
    has no receipt-level action or no threshold. ``qual`` indexes ``lines``."""
    for a in p.price_actions:
        if isinstance(a, _RECEIPT_LEVEL):
            break
    else:  # most promotions (asked for every discounted one of every evaluate): no list built
        return None
    scaled = [a for a in p.price_actions if isinstance(a, m.ScaledReceiptAction)]
    spend = [[s.cents, s.receipt_scope] for s in p.min_spend]
    spend += [[a.tiers[0][0], True] for a in scaled if a.tiers]  # below the lowest tier no tier is reached
    qty = p.min_quantity.milli if p.min_quantity else 0
    if not spend and not qty:
        return None
    return {"spend": spend, "qty": qty, "qual": qualifying(p, lines)}


def sale_record(basket: Basket, result: Result, promotions: Mapping[str, m.Promotion],
                lines: PricedLines | None = None) -> dict | None:
    """The record of a priced basket's sale part (None when no sale line got a discount or points).

    Its ``lines``: [lineReference, quantity (milli), gross, {promotion id: discount cents}] per sale
    line; ``totals``: each promotion's sale-part discount; ``receipt``: per receipt-level promotion
    with a threshold, ``spend`` [[cents, whole receipt?]], ``qty`` (milli) and ``qual`` (indices into
    ``lines`` of its qualifying lines); ``points``/``net``: the sale's proportional points
    (everything but ADD_FIXED / SUBTRACT_POINTS) and its net; ``pointsBy``: those points per
    promotion; ``names``: id -> [name, type].

    Args:
        lines: :func:`dre.priced_lines.priced_lines` of the basket and result when the caller
            walked them already (evaluate's answer did); walked here if None.
    """
    if lines is None:
        lines = priced_lines(basket, result, promotions)
    rows, totals = lines.sale_rows, lines.sale_totals
    if not rows:
        return None
    # each promotion's proportional points (ADD_FIXED / SUBTRACT_POINTS are per transaction: kept)
    points_by = {a.promotion_id: pts for a in result.applied if a.promotion_id in promotions
                 and (pts := a.points - fixed_points(promotions[a.promotion_id])) > 0}
    points = sum(points_by.values())
    if not totals and points <= 0:
        return None
    receipt = {}
    sale_lines = [ln for ln in basket.lines if ln.milli > 0]
    for pid in totals:
        p = promotions.get(pid)
        if p is not None and (t := _threshold(p, sale_lines)) is not None:  # None: not receipt-level
            receipt[pid] = t
    net = sum([row[2] for row in rows]) - sum(totals.values())
    names = {pid: [promotions[pid].name, promotions[pid].type] for pid in (*totals, *points_by) if pid in promotions}
    return {"lines": rows, "totals": totals, "receipt": receipt, "points": points, "pointsBy": points_by,
            "net": net, "names": names}
