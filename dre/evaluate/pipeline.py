"""The reference evaluation pipeline: load → eligibility → choose → discount → points.

Pure: promotions, basket and context in, a frozen Result out; nothing is written anywhere.
Persisting (budgets, coupons, points) happens at confirm, from ``Result.applied``.
"""
from __future__ import annotations

from collections.abc import Iterable

from dre.basket import Basket
from dre.evaluate import best_deal, eligibility, loyalty, recommend
from dre.evaluate.actions import PartLine
from dre.evaluate.apply import apply
from dre.pricing.context import USABLE, Context
from dre.pricing.coupons import coupon_results
from dre.pricing.result import Applied, Granted, LineDiscount, Result
from dre.promotion import model as m


def split_parts(basket: Basket) -> tuple[list[PartLine], list[PartLine]]:
    """Sale lines and return lines (quantities and amounts made positive)."""
    sale, ret = [], []
    for i, ln in enumerate(basket.lines):
        part = PartLine(i, ln.article, ln.group, abs(ln.milli), ln.unit_price, abs(ln.gross))
        (sale if ln.milli > 0 else ret).append(part)
    return sale, ret


def coupon_for(p: m.Promotion, basket: Basket, ctx: Context) -> str | None:
    """The first presented usable code that unlocks ``p`` (None for promotions without coupons)."""
    if p.coupon_types is None:
        return None
    for code in basket.coupons:
        chk = ctx.coupons.get(code)
        if chk and chk.status == USABLE and chk.type_id in p.coupon_types:
            return code
    return None


def evaluate(promotions: Iterable[m.Promotion], basket: Basket, ctx: Context | None = None) -> Result:
    """Price a basket against a promotion set (the executable specification of docs/semantics.md)."""
    ctx = ctx or Context()
    ranked = sorted(promotions, key=lambda p: p.rank)
    usable = ctx.usable_types(basket.coupons)
    per_line: list[list[LineDiscount]] = [[] for _ in basket.lines]
    points: dict[str, int] = {}  # promotion id -> points of the transaction (sale part minus return part)
    took: dict[str, tuple[int, str | None]] = {}  # sale part: promotion id -> (discount, code)
    granted: list[Granted] = []
    recommendations = []
    for lines, sign in zip(split_parts(basket), (1, -1)):
        if not lines:
            continue
        checks = [(p, eligibility.check(p, basket, lines, ctx.left_out, usable, sign < 0)) for p in ranked]
        chosen = best_deal.choose([p for p, e in checks if e.ok], lines)
        amounts = apply(chosen, lines)
        net = [ln.gross - sum(a[i] for a in amounts.values()) for i, ln in enumerate(lines)]
        pts = loyalty.points(chosen, lines, net, fixed=sign > 0)
        for pid, n in pts.items():
            points[pid] = points.get(pid, 0) + sign * n
        for p in chosen:
            code = coupon_for(p, basket, ctx)
            for ln, a in zip(lines, amounts[p.id]):
                if a:
                    per_line[ln.index].append(LineDiscount(p.id, sign * a, code))
            if sign < 0:
                continue
            amount = sum(amounts[p.id])
            if amount or p.injects or pts.get(p.id) or p.issue_coupons:
                took[p.id] = (amount, code)
                granted += [Granted(g.article, g.milli, g.unit_price if g.unit_price is not None
                                    else ctx.prices.get(g.article, 0), p.id) for g in p.injects]
        if sign > 0:
            recommendations = recommend.recommend([(p, e) for p, e in checks if e.nearly], lines)
    applied = []
    for p in ranked:  # application order
        if p.id in took:
            amount, code = took[p.id]
            applied.append(Applied(p.id, amount, points.get(p.id, 0), code))
        elif points.get(p.id):  # points on the return part only
            applied.append(Applied(p.id, 0, points[p.id], None, on_sale=False))
    return Result(
        lines=tuple(tuple(d) for d in per_line),
        granted=tuple(granted),
        coupons=coupon_results(basket, ctx, applied),
        recommendations=tuple(recommendations),
        applied=tuple(applied),
    )
