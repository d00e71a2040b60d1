"""Hypothesis strategies: random valid promotion sets and baskets over small vocabularies.

Vocabularies are tiny so that promotions actually fire, overlap and compete; values respect the
wire model's limits (dre.wire), so every generated promotion is one `dre.promotion.parse` could
produce. Exclusive promotions are capped per set so that the exhaustive reference stays fast.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

from dre.basket import Basket, Line, line_gross
from dre.pricing.context import Context, CouponCheck
from dre.promotion import model as m

ARTICLES = ["A1", "A2", "A3", "A4", "A5"]
GROUPS = ["G1", "G2", "G3"]
CHANNELS = ["POS", "WEB"]
POS_GROUPS = ["N", "S"]
TIERS = ["GOLD", "SILVER"]
CUSTOMERS = ["C1", "C2"]
PAYMENTS = ["CARD", "CASH"]
COUPON_TYPES = ["T1", "T2", "T3"]
CODES = ["K1", "K2", "K3", "K4"]
STATUSES = ["USABLE", "USABLE", "USABLE", "INVALID", "EXPIRED", "ALREADY_REDEEMED", "LIMIT_REACHED"]
BASE_TIME = datetime(2026, 11, 23, 11, 30, tzinfo=timezone.utc)  # a Monday
TIMES = [BASE_TIME, BASE_TIME + timedelta(hours=11, minutes=45),
         (BASE_TIME + timedelta(days=5)).astimezone(timezone(timedelta(hours=-5))),
         (BASE_TIME + timedelta(minutes=1)).astimezone(timezone(timedelta(hours=2)))]


def subset(values: list[str], min_size: int = 1) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(values), min_size=min_size, max_size=len(values))


ITEM_VALUES = subset(ARTICLES + GROUPS)
pct = st.integers(1, 10_000)
cents = st.integers(1, 2_000)


@st.composite
def calc(draw, kinds=(m.PCT, m.AMT, m.FIX)) -> m.Calc:
    kind = draw(st.sampled_from(kinds))
    if kind == m.PCT:
        return m.Calc(kind, draw(st.sampled_from([10_000, 5_000, 1_000, 1_250, 333]) | pct))
    return m.Calc(kind, draw(st.integers(0 if kind == m.FIX else 1, 2_000)))


@st.composite
def tiers(draw, minimum: st.SearchStrategy[int], kinds) -> tuple[tuple[int, m.Calc], ...]:
    mins = sorted(draw(st.sets(minimum, min_size=1, max_size=3)))
    return tuple((x, draw(calc(kinds))) for x in mins)


@st.composite
def price_action(draw) -> m.PriceAction:
    kind = draw(st.sampled_from(["UNIT", "UNIT", "RECEIPT", "SCALED", "QTIER", "BUNDLE", "GIFT"]))
    if kind == "UNIT":
        by_group = draw(st.booleans())
        return m.UnitAction(by_group, draw(subset(GROUPS if by_group else ARTICLES)), draw(calc()),
                            draw(st.none() | st.integers(1, 4_000)))
    if kind == "RECEIPT":
        return m.ReceiptAction(draw(calc((m.PCT, m.AMT))))
    if kind == "SCALED":
        return m.ScaledReceiptAction(draw(tiers(st.integers(0, 6_000), (m.PCT, m.AMT))))
    if kind == "QTIER":
        return m.QuantityTierAction(draw(ITEM_VALUES), draw(tiers(st.integers(1, 5_000), (m.PCT, m.FIX))))
    if kind == "BUNDLE":
        comps = draw(st.lists(st.tuples(ITEM_VALUES, st.integers(1, 3)), min_size=1, max_size=3))
        return m.BundleAction(tuple(comps), draw(calc((m.FIX, m.PCT, m.AMT))))
    return m.GiftAction(draw(ITEM_VALUES), draw(st.integers(1, 3)), draw(ITEM_VALUES), draw(st.integers(1, 2)),
                        draw(st.sampled_from([10_000, 5_000]) | pct))


@st.composite
def window(draw) -> m.TimeWindow:
    days = draw(st.none() | st.frozensets(st.integers(1, 7), min_size=1))
    a, b = draw(st.integers(0, 1440)), draw(st.integers(0, 1440))
    return m.TimeWindow(days, a, b)


@st.composite
def points_action(draw) -> m.PointsAction:
    kind = draw(st.sampled_from(["CURRENCY_TO_POINTS", "CURRENCY_TO_POINTS", "ADD_FIXED", "SUBTRACT_POINTS",
                                 "MULTIPLY_POINTS"]))
    if kind == "CURRENCY_TO_POINTS":
        return m.PointsAction(kind, points=draw(st.integers(1, 10)), per=draw(st.integers(1, 1_000)))
    if kind == "MULTIPLY_POINTS":
        return m.PointsAction(kind, factor=draw(st.integers(101, 1_000)), values=draw(st.none() | ITEM_VALUES))
    return m.PointsAction(kind, points=draw(st.integers(1, 50)))


@st.composite
def promotion(draw, pid: str, exclusive_ok: bool = True) -> m.Promotion:
    t = BASE_TIME
    valid_from = draw(st.none() | st.sampled_from([t - timedelta(days=1), t, t + timedelta(hours=3)]))
    valid_to = draw(st.none() | st.sampled_from([t + timedelta(days=6), t, t - timedelta(hours=1)]))
    if valid_from and valid_to and valid_from > valid_to:
        valid_to = None
    article_conds = tuple(m.ArticleCond(g, draw(subset(GROUPS if g else ARTICLES)))
                          for g in draw(st.lists(st.booleans(), max_size=2)))
    context = tuple(m.ContextCond(f, draw(subset(vals))) for f, vals in draw(st.lists(st.sampled_from([
        ("CHANNEL", CHANNELS), ("POS_GROUP", POS_GROUPS), ("CUSTOMER_TIER", TIERS), ("CUSTOMER", CUSTOMERS),
        ("PAYMENT_MEANS", PAYMENTS)]), max_size=2)))
    actions = draw(st.lists(price_action(), max_size=2))
    injects = tuple(m.InjectAction(a, q, p) for a, q, p in draw(st.lists(st.tuples(
        st.sampled_from(ARTICLES + ["FREE"]), st.integers(1, 3) .map(lambda x: x * 1000),
        st.none() | st.integers(0, 500)), max_size=1)))
    points = tuple(draw(st.lists(points_action(), max_size=2)))
    issue = tuple(m.IssueCouponAction(t, k) for t, k in draw(st.lists(
        st.tuples(st.sampled_from(COUPON_TYPES), st.integers(1, 2)), max_size=1)))
    if not actions and not injects and not points and not issue:
        actions = [draw(price_action())]
    return m.Promotion(
        id=pid, name=f"promo {pid}", type="ARTICLE", active=draw(st.booleans() | st.just(True)),
        valid_from=valid_from, valid_to=valid_to, window=draw(st.none() | st.none() | window()),
        pos_groups=draw(st.none() | st.none() | subset(POS_GROUPS)),
        priority=draw(st.integers(0, 3)), exclusive=exclusive_ok and draw(st.booleans()),
        multiplicative=draw(st.booleans()), rounding_mode=draw(st.integers(0, 3)),
        rounding_step=draw(st.sampled_from([1, 1, 10, 100])), budget=None,
        article_conds=article_conds,
        min_quantity=draw(st.none() | st.integers(1, 6_000).map(m.MinQuantity)),
        min_spend=tuple(m.MinSpend(c, r) for c, r in draw(st.lists(st.tuples(st.integers(1, 6_000), st.booleans()),
                                                                    max_size=2))),
        context_conds=context,
        coupon_types=draw(st.none() | st.none() | st.none() | subset(COUPON_TYPES)),
        time_conds=tuple(draw(st.lists(window(), max_size=1))),
        price_actions=tuple(actions), injects=injects, points=points, issue_coupons=issue,
    )


@st.composite
def promotion_set(draw, max_size: int = 8, max_exclusive: int = 5) -> list[m.Promotion]:
    n = draw(st.integers(1, max_size))
    out = []
    n_excl = 0
    for i in range(n):
        p = draw(promotion(f"P{i:02d}", exclusive_ok=n_excl < max_exclusive))
        n_excl += p.exclusive
        out.append(p)
    return out


@st.composite
def line(draw, k: int) -> Line:
    article = draw(st.sampled_from(ARTICLES + ["UNKNOWN"]))
    group = draw(st.sampled_from(GROUPS + ["", "OTHER"]))
    whole = draw(st.booleans())
    milli = draw(st.integers(1, 6).map(lambda x: x * 1000) if whole else st.integers(1, 6_000))
    if draw(st.integers(0, 5)) == 0:
        milli = -milli
    price = draw(st.sampled_from([0, 1, 99, 100, 250, 999]) | st.integers(0, 3_000))
    return Line(f"L{k}", article, group, milli, price, line_gross(price, milli))


@st.composite
def basket_and_context(draw, max_lines: int = 6) -> tuple[Basket, Context]:
    n = draw(st.integers(1, max_lines))
    lines = tuple(draw(line(k)) for k in range(n))
    coupons = tuple(draw(st.lists(st.sampled_from(CODES), unique=True, max_size=3)))
    checks = {c: CouponCheck(c, draw(st.sampled_from(STATUSES)), draw(st.sampled_from(COUPON_TYPES + [None, "TX"])))
              for c in draw(st.lists(st.sampled_from(CODES), unique=True, max_size=4))}
    basket = Basket(
        lines=lines, time=draw(st.sampled_from(TIMES)), pos_group=draw(st.sampled_from(POS_GROUPS + ["", "W"])),
        channel=draw(st.sampled_from(CHANNELS)), customer_id=draw(st.none() | st.sampled_from(CUSTOMERS)),
        tier=draw(st.none() | st.sampled_from(TIERS)), payment_means=draw(st.none() | st.sampled_from(PAYMENTS)),
        coupons=coupons, include_inactive=draw(st.booleans()),
    )
    return basket, Context(coupons=checks, prices={"A1": 111, "FREE": 5})


@st.composite
def scenario(draw, max_size: int = 8, max_exclusive: int = 5, max_lines: int = 6):
    """(promotions, basket, context) with some budgets exhausted."""
    promos = draw(promotion_set(max_size, max_exclusive))
    basket, ctx = draw(basket_and_context(max_lines))
    exhausted = draw(st.frozensets(st.sampled_from([p.id for p in promos] + ["NOPE"]), max_size=2))
    ctx = Context(coupons=ctx.coupons, exhausted=exhausted, prices=ctx.prices)
    return promos, basket, ctx
