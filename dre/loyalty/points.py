"""Points of a POS event: the tenant's LOYALTY promotions evaluated on the bill.

Only promotions of type LOYALTY take part. The bill's amounts are what the POS already charged
(its own discounts included), so letting the engine's ARTICLE or RECEIPT promotions discount the
bill again would count those discounts twice and shrink the points. The evaluation time is the
bill's transactionDateTime in its own UTC offset (so TIME windows read the store's local time).

The bill is priced as parts (:func:`parts`: the sold lines, and the returned lines as if sold,
their points then negated) and the parts' results add up (:func:`points_of`). The service prices
the parts on the engine's lanes with a set built from the LOYALTY promotions only (off the event
loop, under the pricing deadline, the best-deal search bounded by work, like evaluate);
:func:`points_for` is the same with the reference evaluator, for tests and tools.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from dre.basket import Basket, Line
from dre.evaluate import evaluate
from dre.evaluate.loyalty import fixed_points
from dre.loyalty.event import PosEvent
from dre.money import MILLI, round_ratio
from dre.pricing import Context, PromotionSet, Result
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


def parts(event: PosEvent, pos_group: str = "", groups: Mapping[str, str] | None = None) -> list[tuple[Basket, int]]:
    """The baskets the event's points are priced from, each with its sign.

    Sale lines and returned lines are two baskets (the returned ones with positive quantities,
    their points then negated), which is how the engine prices the return part; doing it here too
    gives every promotion its net points, returns included (``Result.applied`` covers the sale
    part only). An empty part is left out.
    """
    basket = to_basket(event, pos_group, groups)
    sold = tuple(ln for ln in basket.lines if ln.milli > 0)
    returned = tuple(_as_sold(ln) for ln in basket.lines if ln.milli < 0)
    return [(replace(basket, lines=lines), sign) for lines, sign in ((sold, 1), (returned, -1)) if lines]


def points_of(priced: Sequence[tuple[Result, int]], by_id: Mapping[str, Promotion]) -> tuple[int, dict[str, int]]:
    """(pointsEarned, {promotion id: points}) of the parts' results (``by_id``: the promotions they
    were priced with); the breakdown adds up to the total."""
    breakdown: dict[str, int] = {}
    for result, sign in priced:
        for a in result.applied:
            # as in the engine, returned lines do not take back ADD_FIXED / SUBTRACT_POINTS (per transaction)
            pts = a.points if sign > 0 else a.points - fixed_points(by_id[a.promotion_id])
            breakdown[a.promotion_id] = breakdown.get(a.promotion_id, 0) + sign * pts
    breakdown = {pid: pts for pid, pts in breakdown.items() if pts}
    return sum(breakdown.values()), breakdown


def points_for(event: PosEvent, promotions: PromotionSet | Iterable[Promotion], ctx: Context | None = None,
               pos_group: str = "", groups: Mapping[str, str] | None = None) -> tuple[int, dict[str, int]]:
    """(pointsEarned, {promotion id: points}) of the event by the reference evaluator."""
    promos = loyalty_promotions(promotions)
    priced = [(evaluate(promos, basket, ctx), sign) for basket, sign in parts(event, pos_group, groups)]
    return points_of(priced, {p.id: p for p in promos})


def _as_sold(ln: Line) -> Line:
    return replace(ln, milli=-ln.milli, gross=-ln.gross)
