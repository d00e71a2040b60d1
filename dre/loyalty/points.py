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
from dre.basket import Basket, Line
from dre.evaluate import evaluate
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

    Both are the engine's points of the transaction (docs/semantics.md): per promotion, its points
    on the sold lines minus its points on the returned lines.
    """
    result = evaluate(loyalty_promotions(promotions), to_basket(event, pos_group, groups), ctx)
    return result.points, {a.promotion_id: a.points for a in result.applied if a.points}
