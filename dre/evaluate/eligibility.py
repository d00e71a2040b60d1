"""Conditions: is a promotion a candidate for a part of the basket, and if not, why not."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dre.basket import Basket, Line
from dre.evaluate.actions import PartLine
from dre.promotion import model as m

MIN_REASONS = frozenset({"MIN_QUANTITY", "MIN_SPEND"})  # what a recommendation may be missing


@dataclass(frozen=True)
class Eligibility:
    failed: frozenset[str]  # reason codes; empty when the promotion is a candidate
    qualifying_milli: int
    missing_milli: int  # MIN_QUANTITY shortfall (0 when met)
    missing_amount: int  # largest MIN_SPEND shortfall in cents (0 when met)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def nearly(self) -> bool:
        """Only quantity/spend thresholds fail: worth a recommendation."""
        return bool(self.failed) and self.failed <= MIN_REASONS


def in_window(w: m.TimeWindow, basket: Basket) -> bool:
    """Local day/time of the evaluation (the timestamp's own offset) within a window."""
    t = basket.time
    if w.days is not None and t.isoweekday() not in w.days:
        return False
    minute = t.hour * 60 + t.minute
    if w.from_min <= w.to_min:
        return w.from_min <= minute < w.to_min
    return minute >= w.from_min or minute < w.to_min  # across midnight, e.g. 22:00-02:00


def _context_value(field: str, basket: Basket) -> str | None:
    return {
        "CHANNEL": basket.channel,
        "POS_GROUP": basket.pos_group,
        "CUSTOMER_TIER": basket.tier,
        "CUSTOMER": basket.customer_id,
        "PAYMENT_MEANS": basket.payment_means,
    }[field]


def qualifies(p: m.Promotion, line: PartLine | Line) -> bool:
    """A line qualifies when it matches any article condition (every line when there is none)."""
    if not p.article_conds:
        return True
    return any((line.group if c.by_group else line.article) in c.values for c in p.article_conds)


def qualifying(p: m.Promotion, lines: Sequence[PartLine | Line]) -> list[int]:
    """The indices of ``lines`` that :func:`qualifies` for ``p``, without a call per line for the
    common promotion of one article condition (every evaluate's sale record asks, dre.returns)."""
    conds = p.article_conds
    if not conds:
        return list(range(len(lines)))
    if len(conds) == 1:
        values = conds[0].values
        if conds[0].by_group:
            return [k for k, ln in enumerate(lines) if ln.group in values]
        return [k for k, ln in enumerate(lines) if ln.article in values]
    return [k for k, ln in enumerate(lines) if qualifies(p, ln)]


def check(p: m.Promotion, basket: Basket, lines: list[PartLine], exhausted: frozenset[str],
          usable_types: dict[str, str], returning: bool = False) -> Eligibility:
    """Every condition of ``p`` against one part of the basket (``returning``: the return part,
    where no coupon is redeemed, so coupon-gated promotions do not apply)."""
    failed = set()
    if not p.active and not basket.include_inactive:
        failed.add("INACTIVE")
    if (p.valid_from and basket.time < p.valid_from) or (p.valid_to and basket.time > p.valid_to):
        failed.add("VALIDITY")
    if p.window and not in_window(p.window, basket):
        failed.add("VALIDITY")
    if p.pos_groups is not None and basket.pos_group not in p.pos_groups:
        failed.add("POS_GROUP")
    if p.id in exhausted:
        failed.add("BUDGET")
    for c in p.context_conds:
        if _context_value(c.field, basket) not in c.values:
            failed.add(c.field)
    if p.coupon_types is not None and (returning or not (p.coupon_types & usable_types.keys())):
        failed.add("COUPON")
    if any(not in_window(w, basket) for w in p.time_conds):
        failed.add("TIME")
    qual = [ln for ln in lines if qualifies(p, ln)]
    if p.article_conds and not qual:
        failed.add("ARTICLE")
    q_milli = sum(ln.milli for ln in qual)
    missing_milli = 0
    if p.min_quantity and q_milli < p.min_quantity.milli:
        failed.add("MIN_QUANTITY")
        missing_milli = p.min_quantity.milli - q_milli
    missing_amount = 0
    for s in p.min_spend:
        spent = sum(ln.gross for ln in (lines if s.receipt_scope else qual))
        if spent < s.cents:
            failed.add("MIN_SPEND")
            missing_amount = max(missing_amount, s.cents - spent)
    return Eligibility(frozenset(failed), q_milli, missing_milli, missing_amount)
