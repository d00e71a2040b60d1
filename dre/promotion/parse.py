"""Wire promotion JSON -> validated domain :class:`Promotion`, with precise errors."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timezone

import pydantic

from dre.errors import DREError, Issue, invalid
from dre.money import ROUNDING_CODES, Rounding, to_milli, to_minor
from dre.promotion import model as m
from dre.wire import promotion as w
from dre.wire.convert import validation_error


def _pct(p: float) -> int:
    return round(p * 100)


def _calc(src, pct: str | None = "percentOff", amt: str | None = "amountOff", fix: str | None = "fixedPrice") -> m.Calc:
    for name, kind in ((pct, m.PCT), (amt, m.AMT), (fix, m.FIX)):
        v = getattr(src, name, None) if name else None
        if v is not None:
            return m.Calc(kind, _pct(v) if kind == m.PCT else to_minor(v))
    raise ValueError("no calculator")  # unreachable: the wire model requires exactly one


def _minutes(hhmm: str | None, default: int) -> int:
    if hhmm is None:
        return default
    h, mi = hhmm.split(":")
    return int(h) * 60 + int(mi)


def _window(days, from_, to) -> m.TimeWindow:
    return m.TimeWindow(frozenset(days) if days else None, _minutes(from_, 0), _minutes(to, 24 * 60))


def _aware(dt):
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _action(a) -> m.PriceAction | m.InjectAction | m.PointsAction | m.IssueCouponAction:
    if isinstance(a, w.UnitAction):
        return m.UnitAction(a.type == "ARTICLE_GROUP", frozenset(a.values), _calc(a),
                            to_milli(a.maxQuantity) if a.maxQuantity is not None else None)
    if isinstance(a, w.ReceiptAction):
        return m.ReceiptAction(_calc(a, fix=None))
    if isinstance(a, w.ScaledReceiptAction):
        tiers = sorted((to_minor(t.minSpend), _calc(t, fix=None)) for t in a.tiers)
        return m.ScaledReceiptAction(tuple((s, c) for s, c in tiers))
    if isinstance(a, w.QuantityTierAction):
        tiers = sorted(((to_milli(t.minQuantity), _calc(t, amt=None, fix="unitPrice")) for t in a.tiers),
                       key=lambda t: t[0])
        return m.QuantityTierAction(frozenset(a.values), tuple(tiers))
    if isinstance(a, w.BundleAction):
        comps = tuple((frozenset(c.values), c.quantity) for c in a.components)
        return m.BundleAction(comps, _calc(a, fix="bundlePrice"))
    if isinstance(a, w.GiftAction):
        return m.GiftAction(frozenset(a.buy.values), a.buy.quantity, frozenset(a.get.values), a.get.quantity,
                            _pct(a.percentOff))
    if isinstance(a, w.InjectAction):
        return m.InjectAction(a.articleNumber, to_milli(a.quantity),
                              to_minor(a.unitPrice) if a.unitPrice is not None else None)
    if isinstance(a, w.IssueCouponAction):
        return m.IssueCouponAction(a.couponTypeId, a.count)
    if isinstance(a, w.CurrencyToPointsAction):
        return m.PointsAction("CURRENCY_TO_POINTS", points=a.points, per=to_minor(a.per))
    if isinstance(a, w.MultiplyPointsAction):
        return m.PointsAction("MULTIPLY_POINTS", factor=round(a.factor * 100),
                              values=frozenset(a.values) if a.values else None)
    return m.PointsAction(a.type, points=a.points)


def from_wire(p: w.PromotionIn, version: int = 1, coupon_types: Iterable[str] = ()) -> m.Promotion:
    """Domain promotion from a validated wire model.

    ``coupon_types`` are the coupon types whose ``promotionIds`` name this promotion: the
    promotion then fires only when one of their codes (or of its own COUPON condition) is usable.
    """
    article, context, spends, times = [], [], [], []
    min_qty = None
    coupon: set[str] = set(coupon_types)
    has_coupon_cond = bool(coupon)
    for c in p.conditions:
        if isinstance(c, w.ArticleCondition):
            article.append(m.ArticleCond(c.type == "ARTICLE_GROUP", frozenset(c.values)))
        elif isinstance(c, w.MinQuantityCondition):
            q = to_milli(c.value)
            min_qty = m.MinQuantity(max(q, min_qty.milli if min_qty else 0))
        elif isinstance(c, w.MinSpendCondition):
            spends.append(m.MinSpend(to_minor(c.value), c.scope == "RECEIPT"))
        elif isinstance(c, w.ContextCondition):
            context.append(m.ContextCond(c.type, frozenset(c.values)))
        elif isinstance(c, w.CouponCondition):
            coupon.update(c.couponTypeIds)
            has_coupon_cond = True
        elif isinstance(c, w.TimeCondition):
            times.append(_window(c.daysOfWeek, c.from_, c.to))
    prices, injects, points, issues = [], [], [], []
    kinds = {m.InjectAction: injects, m.PointsAction: points, m.IssueCouponAction: issues}
    for a in p.actions:
        d = _action(a)
        kinds.get(type(d), prices).append(d)
    b = p.budget
    budget = None
    if b and (b.amount is not None or b.redemptions is not None or b.perCustomerRedemptions is not None):
        budget = m.Budget(to_minor(b.amount) if b.amount is not None else None, b.redemptions, b.perCustomerRedemptions)
    mode = Rounding(p.rounding.mode)
    v = p.validity
    return m.Promotion(
        id=p.id, name=p.name, type=p.type, active=p.status == "ACTIVE",
        valid_from=_aware(p.validFrom), valid_to=_aware(p.validTo),
        window=_window(v.daysOfWeek, v.from_, v.to) if v else None,
        pos_groups=frozenset(p.posGroups) if p.posGroups is not None else None,
        priority=p.priority, exclusive=p.exclusive, multiplicative=p.calculationMode == "MULTIPLICATIVE",
        rounding_mode=ROUNDING_CODES[mode], rounding_step=10 ** (2 - p.rounding.precision),
        budget=budget, article_conds=tuple(article), min_quantity=min_qty, min_spend=tuple(spends),
        context_conds=tuple(context), coupon_types=frozenset(coupon) if has_coupon_cond else None,
        time_conds=tuple(times), price_actions=tuple(prices), injects=tuple(injects), points=tuple(points),
        issue_coupons=tuple(issues),
        version=version, raw=p.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


def parse_promotion(data: object, path: str = "promotion", version: int = 1,
                    coupon_types: Iterable[str] = ()) -> m.Promotion:
    """Validate one promotion JSON object. Raises DREError 400 with the failing paths."""
    try:
        wire = w.PromotionIn.model_validate(data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, path) from None
    return from_wire(wire, version, coupon_types)


def parse_promotions(data: object, path: str = "promotions") -> list[m.Promotion]:
    """Validate a JSON array of promotions (ids unique). Raises DREError 400 listing every failure."""
    if not isinstance(data, list):
        raise invalid(f"{path} must be a JSON array of promotions")
    out, issues, seen = [], [], set()
    for i, item in enumerate(data):
        try:
            promo = parse_promotion(item, f"{path}[{i}]")
        except DREError as e:
            issues.extend(e.details)
            continue
        if promo.id in seen:
            issues.append(Issue(f"{path}[{i}].id", f"duplicate promotion id {promo.id!r}"))
            continue
        seen.add(promo.id)
        out.append(promo)
    if issues:
        raise invalid(f"{len(issues)} problem(s) in {path}: {issues[0].path}: {issues[0].issue}", issues)
    return out
