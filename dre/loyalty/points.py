"""Points of a POS event: the tenant's LOYALTY promotions evaluated on the bill.

Only promotions of type LOYALTY take part. The bill's amounts are what the POS already charged
(its own discounts included), so letting the engine's ARTICLE or RECEIPT promotions discount the
bill again would count those discounts twice and shrink the points. The evaluation time is the
bill's transactionDateTime in its own UTC offset (so TIME windows read the store's local time).

The reference evaluator (``dre.evaluate.evaluate``) runs on the filtered promotions: a compiled
PromotionSet cannot be narrowed to one type, and the kernels give byte-identical answers anyway.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from dre.basket import Basket, Line
from dre.evaluate import evaluate
from dre.evaluate.loyalty import fixed_points
from dre.loyalty.event import PosEvent
from dre.money import MILLI, round_ratio
from dre.pricing import Context, PromotionSet
from dre.promotion.model import Promotion

LOYALTY = "LOYALTY"
CHANNEL = "IN_STORE"  # a POS event is a check closed in a store


def to_basket(event: PosEvent, pos_group: str = "", groups: Mapping[str, str] | None = None) -> Basket:
    """The bill as an engine basket.

    itemId becomes the article number (as a string); the article group comes from ``groups`` (the
    article master), else "". A line's gross is its amount exactly; its unit price is derived
    (amount ÷ quantity, HALF_UP to the cent) for the unit-based actions. The member is the
    customer; the native discount codes are presented as coupons.
    """
    lines = []
    for i, ln in enumerate(event.lines):
        article = str(ln.item_id)
        group = groups.get(article, "") if groups else ""
        unit = round_ratio(ln.amount * MILLI, ln.milli)
        lines.append(Line(str(i), article, group, ln.milli, unit, ln.amount))
    return Basket(lines=tuple(lines), time=event.transaction_time, pos_group=pos_group, channel=CHANNEL,
                  customer_id=event.loyalty_number, loyalty_card=event.loyalty_number,
                  coupons=tuple(dict.fromkeys(event.native_discounts)))


def loyalty_promotions(promotions: PromotionSet | Iterable[Promotion]) -> list[Promotion]:
    """The LOYALTY promotions of a set (its ``ranked`` list) or of a plain iterable."""
    source = getattr(promotions, "ranked", promotions)
    return [p for p in source if p.type == LOYALTY]


def points_for(event: PosEvent, promotions: PromotionSet | Iterable[Promotion], ctx: Context | None = None,
               pos_group: str = "", groups: Mapping[str, str] | None = None) -> tuple[int, dict[str, int]]:
    """(pointsEarned, {promotion id: points}) of the event; the breakdown adds up to the total.

    Sale lines and returned lines are evaluated as two baskets (the returned ones with positive
    quantities, their points then negated), which is how the engine prices the return part; doing
    it here too gives every promotion its net points, returns included (``Result.applied`` covers
    the sale part only). As in the engine, returned lines do not take back ADD_FIXED /
    SUBTRACT_POINTS (per transaction).
    """
    promos = loyalty_promotions(promotions)
    basket = to_basket(event, pos_group, groups)
    sold = tuple(ln for ln in basket.lines if ln.milli > 0)
    returned = tuple(_as_sold(ln) for ln in basket.lines if ln.milli < 0)
    breakdown: dict[str, int] = {}
    by_id = {p.id: p for p in promos}
    for lines, sign in ((sold, 1), (returned, -1)):
        if not lines:
            continue
        for a in evaluate(promos, replace(basket, lines=lines), ctx).applied:
            pts = a.points if sign > 0 else a.points - fixed_points(by_id[a.promotion_id])
            breakdown[a.promotion_id] = breakdown.get(a.promotion_id, 0) + sign * pts
    breakdown = {pid: pts for pid, pts in breakdown.items() if pts}
    return sum(breakdown.values()), breakdown


def _as_sold(ln: Line) -> Line:
    return replace(ln, milli=-ln.milli, gross=-ln.gross)
