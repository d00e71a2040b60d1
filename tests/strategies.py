"""Hypothesis strategies: promotion sets and baskets over small vocabularies, aimed at the hard cases.

Vocabularies are tiny so that promotions actually fire, overlap and compete; values respect the
wire model's limits (dre.wire), so every generated promotion is one `dre.promotion.parse` could
produce. Exclusive promotions are capped per set so that the exhaustive reference stays fast.

`scenario()` is the property tests' strategy. One draw in six is the broad random scenario
(promotions with every kind of condition, most of which fail: eligibility coverage); the others are
built around some of these hard cases (each in about two draws out of five, so they also mix):

- ``stacking``: several stackable promotions whose actions cover the same line;
- ``exclusive``: two or more exclusive promotions competing for the same line;
- ``multiplicative``: a MULTIPLICATIVE promotion after another one on the same line;
- ``gift``: FREE_ITEM gifts, buy and get the same set, overlapping or disjoint, with whole units;
- ``returns``: return lines (some the mirror of a sale line) that promotions match;
- ``long``: 16 to 40 sale lines with tied unit prices and actions that depend on the dearest-first
  order or on the largest-remainder split (numba's sort is an insertion sort below 16 elements, a
  quicksort from 16 on, so ties are ordered differently only there).

Targeted promotions are "plain": their conditions mostly hold for the drawn basket (now and then a
MIN_SPEND or MIN_QUANTITY near the basket's figures, for recommendations, or a coupon condition
on a presented code); a few random promotions are added as noise. How often each hard case is
reached is measured, and floored, by tests/kernels/test_strategy_coverage.py.
"""
from __future__ import annotations

from dataclasses import astuple, replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from dre.basket import Basket, Line, line_gross, local_time
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
BERLIN = ZoneInfo("Europe/Berlin")
# Store-local times (dre.basket.local_time): an instant read in a store's IANA zone (winter and summer
# time), and a wall-clock time without offset placed in it; both implementations read these alike.
TIMES = [BASE_TIME, BASE_TIME + timedelta(hours=11, minutes=45),
         (BASE_TIME + timedelta(days=5)).astimezone(timezone(timedelta(hours=-5))),
         (BASE_TIME + timedelta(minutes=1)).astimezone(timezone(timedelta(hours=2))),
         local_time(BASE_TIME + timedelta(hours=6), BERLIN),
         local_time(datetime(2026, 7, 5, 23, 30), BERLIN)]


def subset(values: list[str], min_size: int = 1) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(values), min_size=min_size, max_size=len(values))


ITEM_VALUES = subset(ARTICLES + GROUPS)
pct = st.integers(1, 10_000)
cents = st.integers(1, 2_000)
# Strategies are built once here rather than inside each draw: building and validating them again
# for every example was most of the generation time.
PCT_VALUES = st.sampled_from([10_000, 5_000, 1_000, 1_250, 333]) | pct
GIFT_PCT = st.sampled_from([10_000, 5_000]) | pct
CALC_KINDS = {kinds: st.sampled_from(kinds) for kinds in
              [(m.PCT, m.AMT, m.FIX), (m.PCT, m.AMT), (m.PCT, m.FIX), (m.FIX, m.PCT, m.AMT)]}
AMOUNT = {m.AMT: st.integers(1, 2_000), m.FIX: st.integers(0, 2_000)}
SETS = {name: subset(vals) for name, vals in
        [("ARTICLES", ARTICLES), ("GROUPS", GROUPS), ("POS_GROUPS", POS_GROUPS), ("COUPON_TYPES", COUPON_TYPES)]}


@st.composite
def calc(draw, kinds=(m.PCT, m.AMT, m.FIX)) -> m.Calc:
    kind = draw(CALC_KINDS[kinds] if kinds in CALC_KINDS else st.sampled_from(kinds))
    if kind == m.PCT:
        return m.Calc(kind, draw(PCT_VALUES))
    return m.Calc(kind, draw(AMOUNT[kind]))


CALCS = {kinds: calc(kinds) for kinds in CALC_KINDS}


def _tiers(draw, minimum: st.SearchStrategy[int], kinds) -> tuple[tuple[int, m.Calc], ...]:
    mins = sorted(draw(st.sets(minimum, min_size=1, max_size=3)))
    return tuple((x, draw(CALCS[kinds])) for x in mins)


tiers = st.composite(_tiers)


SCALED_TIERS = tiers(st.integers(0, 6_000), (m.PCT, m.AMT))
QTY_TIERS = tiers(st.integers(1, 5_000), (m.PCT, m.FIX))
BUNDLE_COMPONENTS = st.lists(st.tuples(ITEM_VALUES, st.integers(1, 3)), min_size=1, max_size=3)
PRICE_KINDS = st.sampled_from(["UNIT", "UNIT", "RECEIPT", "SCALED", "QTIER", "BUNDLE", "GIFT"])
MAX_MILLI = st.none() | st.integers(1, 4_000)


@st.composite
def price_action(draw) -> m.PriceAction:
    kind = draw(PRICE_KINDS)
    if kind == "UNIT":
        by_group = draw(st.booleans())
        return m.UnitAction(by_group, draw(SETS["GROUPS" if by_group else "ARTICLES"]), draw(CALCS[m.PCT, m.AMT, m.FIX]),
                            draw(MAX_MILLI))
    if kind == "RECEIPT":
        return m.ReceiptAction(draw(CALCS[m.PCT, m.AMT]))
    if kind == "SCALED":
        return m.ScaledReceiptAction(draw(SCALED_TIERS))
    if kind == "QTIER":
        return m.QuantityTierAction(draw(ITEM_VALUES), draw(QTY_TIERS))
    if kind == "BUNDLE":
        return m.BundleAction(tuple(draw(BUNDLE_COMPONENTS)), draw(CALCS[m.FIX, m.PCT, m.AMT]))
    return m.GiftAction(draw(ITEM_VALUES), draw(st.integers(1, 3)), draw(ITEM_VALUES), draw(st.integers(1, 2)),
                        draw(GIFT_PCT))


PRICE_ACTION = price_action()
DAYS = st.none() | st.frozensets(st.integers(1, 7), min_size=1)
MINUTE = st.integers(0, 1440)


@st.composite
def window(draw) -> m.TimeWindow:
    days = draw(DAYS)
    a, b = draw(MINUTE), draw(MINUTE)
    return m.TimeWindow(days, a, b)


POINTS_KINDS = st.sampled_from(["CURRENCY_TO_POINTS", "CURRENCY_TO_POINTS", "ADD_FIXED", "SUBTRACT_POINTS",
                                "MULTIPLY_POINTS"])
MAYBE_VALUES = st.none() | ITEM_VALUES


@st.composite
def points_action(draw) -> m.PointsAction:
    kind = draw(POINTS_KINDS)
    if kind == "CURRENCY_TO_POINTS":
        return m.PointsAction(kind, points=draw(st.integers(1, 10)), per=draw(st.integers(1, 1_000)))
    if kind == "MULTIPLY_POINTS":
        return m.PointsAction(kind, factor=draw(st.integers(101, 1_000)), values=draw(MAYBE_VALUES))
    return m.PointsAction(kind, points=draw(st.integers(1, 50)))


_T = BASE_TIME
VALID_FROM = st.none() | st.sampled_from([_T - timedelta(days=1), _T, _T + timedelta(hours=3)])
VALID_TO = st.none() | st.sampled_from([_T + timedelta(days=6), _T, _T - timedelta(hours=1)])
ARTICLE_COND_KINDS = st.lists(st.booleans(), max_size=2)
CONTEXT_FIELDS = st.lists(st.sampled_from([
    ("CHANNEL", CHANNELS), ("POS_GROUP", POS_GROUPS), ("CUSTOMER_TIER", TIERS), ("CUSTOMER", CUSTOMERS),
    ("PAYMENT_MEANS", PAYMENTS)]), max_size=2)
CONTEXT_SETS = {tuple(v): subset(v) for v in (CHANNELS, POS_GROUPS, TIERS, CUSTOMERS, PAYMENTS)}
PRICE_ACTIONS = st.lists(PRICE_ACTION, max_size=2)
INJECTS = st.lists(st.tuples(st.sampled_from(ARTICLES + ["FREE"]), st.integers(1, 3) .map(lambda x: x * 1000),
                             st.none() | st.integers(0, 500)), max_size=1)
POINTS = st.lists(points_action(), max_size=2)
ISSUES = st.lists(st.tuples(st.sampled_from(COUPON_TYPES), st.integers(1, 2)), max_size=1)
ACTIVE = st.booleans() | st.just(True)
WINDOW = st.none() | st.none() | window()
POS_GROUP_SETS = st.none() | st.none() | SETS["POS_GROUPS"]
STEPS = st.sampled_from([1, 1, 10, 100])
MIN_QUANTITY = st.none() | st.integers(1, 6_000).map(m.MinQuantity)
MIN_SPENDS = st.lists(st.tuples(st.integers(1, 6_000), st.booleans()), max_size=2)
COUPON_TYPE_SETS = st.none() | st.none() | st.none() | SETS["COUPON_TYPES"]
TIME_CONDS = st.lists(window(), max_size=1)


def _promotion(draw, pid: str, exclusive_ok: bool = True) -> m.Promotion:
    valid_from = draw(VALID_FROM)
    valid_to = draw(VALID_TO)
    if valid_from and valid_to and valid_from > valid_to:
        valid_to = None
    article_conds = tuple(m.ArticleCond(g, draw(SETS["GROUPS" if g else "ARTICLES"]))
                          for g in draw(ARTICLE_COND_KINDS))
    context = tuple(m.ContextCond(f, draw(CONTEXT_SETS[tuple(vals)])) for f, vals in draw(CONTEXT_FIELDS))
    actions = draw(PRICE_ACTIONS)
    injects = tuple(m.InjectAction(a, q, p) for a, q, p in draw(INJECTS))
    points = tuple(draw(POINTS))
    issue = tuple(m.IssueCouponAction(t, k) for t, k in draw(ISSUES))
    if not actions and not injects and not points and not issue:
        actions = [draw(PRICE_ACTION)]
    return m.Promotion(
        id=pid, name=f"promo {pid}", type="ARTICLE", active=draw(ACTIVE),
        valid_from=valid_from, valid_to=valid_to, window=draw(WINDOW),
        pos_groups=draw(POS_GROUP_SETS),
        priority=draw(st.integers(0, 3)), exclusive=exclusive_ok and draw(st.booleans()),
        multiplicative=draw(st.booleans()), rounding_mode=draw(st.integers(0, 3)),
        rounding_step=draw(STEPS), budget=None,
        article_conds=article_conds,
        min_quantity=draw(MIN_QUANTITY),
        min_spend=tuple(m.MinSpend(c, r) for c, r in draw(MIN_SPENDS)),
        context_conds=context,
        coupon_types=draw(COUPON_TYPE_SETS),
        time_conds=tuple(draw(TIME_CONDS)),
        price_actions=tuple(actions), injects=injects, points=points, issue_coupons=issue,
    )


promotion = st.composite(_promotion)


def _promotion_set(draw, max_size: int = 8, max_exclusive: int = 5) -> list[m.Promotion]:
    n = draw(st.integers(1, max_size))
    out = []
    n_excl = 0
    for i in range(n):
        p = _promotion(draw, f"P{i:02d}", exclusive_ok=n_excl < max_exclusive)
        n_excl += p.exclusive
        out.append(p)
    return out


promotion_set = st.composite(_promotion_set)


WHOLE_MILLI = st.integers(1, 6).map(lambda x: x * 1000)
PRICES = st.sampled_from([0, 1, 99, 100, 250, 999]) | st.integers(0, 3_000)


def _line(draw, k: int, prices: st.SearchStrategy[int] | None = None, return_odds: int = 5,
         articles: list[str] = ARTICLES + ["UNKNOWN"], groups: list[str] = GROUPS + ["", "OTHER"]) -> Line:
    """Line ``L{k}``; a return (negative quantity) once in ``return_odds + 1`` draws (never with -1)."""
    article = pick(draw, articles)
    group = pick(draw, groups)
    whole = draw(st.booleans())
    milli = draw(WHOLE_MILLI if whole else st.integers(1, 6_000))
    if return_odds >= 0 and draw(st.integers(0, return_odds)) == 0:
        milli = -milli
    price = draw(PRICES if prices is None else prices)
    return Line(f"L{k}", article, group, milli, price, line_gross(price, milli))


line = st.composite(_line)


def _coupons_and_checks(draw) -> tuple[tuple[str, ...], dict[str, CouponCheck]]:
    coupons = tuple(draw(st.lists(st.sampled_from(CODES), unique=True, max_size=3)))
    checks = {c: CouponCheck(c, draw(st.sampled_from(STATUSES)), draw(st.sampled_from(COUPON_TYPES + [None, "TX"])))
              for c in draw(st.lists(st.sampled_from(CODES), unique=True, max_size=4))}
    return coupons, checks


coupons_and_checks = st.composite(_coupons_and_checks)


MAYBE = {name: st.none() | st.sampled_from(vals) for name, vals in
         [("CUSTOMERS", CUSTOMERS), ("TIERS", TIERS), ("PAYMENTS", PAYMENTS)]}


def make_basket(draw, lines: tuple[Line, ...], coupons: tuple[str, ...]) -> Basket:
    return Basket(
        lines=lines, time=draw(st.sampled_from(TIMES)), pos_group=draw(st.sampled_from(POS_GROUPS + ["", "W"])),
        channel=draw(st.sampled_from(CHANNELS)), customer_id=draw(MAYBE["CUSTOMERS"]),
        tier=draw(MAYBE["TIERS"]), payment_means=draw(MAYBE["PAYMENTS"]),
        coupons=coupons, include_inactive=draw(st.booleans()),
    )


def _basket_and_context(draw, max_lines: int = 6) -> tuple[Basket, Context]:
    n = draw(st.integers(1, max_lines))
    lines = tuple(_line(draw, k) for k in range(n))
    coupons, checks = _coupons_and_checks(draw)
    return make_basket(draw, lines, coupons), Context(coupons=checks, prices={"A1": 111, "FREE": 5})


basket_and_context = st.composite(_basket_and_context)


# ---- targeted scenarios ---------------------------------------------------------------------

ONE_IN = {n: st.sampled_from([False] * (n - 1) + [True]) for n in range(1, 11)}
TWO_IN_FIVE = st.sampled_from([False, False, False, True, True])


def chance(draw, n: int) -> bool:
    """True once in about ``n`` draws. (sampled_from is uniform; st.integers(0, k) == 0 is not: Hypothesis
    favours the bounds, so that came out nearer one in four than one in eight.)"""
    return draw(ONE_IN[n])


# Choices whose range depends on the example: prebuilt strategies, indexed (building a strategy
# inside a draw costs more than the draw: Hypothesis validates each new one).
_INDEX = [st.nothing()] + [st.sampled_from(range(n)) for n in range(1, 65)]
_FRACTION = st.integers(0, 1 << 20)


def pick(draw, seq):
    """One element of ``seq`` (uniform; shrinks to the first)."""
    seq = seq if isinstance(seq, (list, tuple)) else list(seq)
    return seq[draw(_INDEX[len(seq)])] if len(seq) < len(_INDEX) else seq[draw(st.integers(0, len(seq) - 1))]


def between(draw, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (uniform for short ranges, else Hypothesis's bias to the bounds)."""
    if hi - lo < len(_INDEX) - 1:
        return lo + draw(_INDEX[hi - lo + 1])
    return lo + draw(_FRACTION) * (hi - lo) // (1 << 20)


FEATURES = ("stacking", "exclusive", "multiplicative", "gift", "returns", "long")
KNOWN_GROUPS = GROUPS + GROUPS + ["", "OTHER"]
STACKING_KINDS = ("UNIT", "UNIT", "UNIT", "RECEIPT", "QTIER", "BUNDLE")
FOCUS_PCT = st.sampled_from([10_000, 5_000, 1_000, 1_250, 333]) | st.integers(100, 10_000)
OFFSET = st.none() | st.sampled_from([timedelta(0), timedelta(days=1)])
POINTS_ACTION = points_action()
INJECT_PRICE = st.none() | st.integers(0, 500)
LONG_MAX_MILLI = WHOLE_MILLI | st.integers(1, 20_000)
TIED_PRICE_LIST = [100, 100, 250, 250, 999, 1_000, 100, 250, 0, 1, 333, 2_000]
TIED_PRICES = st.sampled_from([100, 100, 250, 250, 999, 1_000]) | st.sampled_from([0, 1, 333, 2_000])
SHORT_PRICES = TIED_PRICES | st.integers(1, 3_000)
_POOLS = [tuple(GROUPS), tuple(ARTICLES), tuple(ARTICLES + GROUPS)]
EXTRA_VALUES = {pool: st.frozensets(st.sampled_from(pool), max_size=2) for pool in _POOLS}
ANY_VALUES = {pool: subset(list(pool)) for pool in _POOLS}
FOCUS_QTY_TIERS = tiers(st.integers(1, 3_000), (m.PCT, m.FIX))


def one_of_values(draw, line_: Line, by_group: bool | None = None) -> frozenset[str]:
    """A value set that matches ``line_`` (by article or group; ``by_group`` forces which), plus
    others. Falls back to any set when the line has no known article or group."""
    own = []
    if by_group is not True and line_.article in ARTICLES:
        own.append(line_.article)
    if by_group is not False and line_.group in GROUPS:
        own.append(line_.group)
    pool = GROUPS if by_group else ARTICLES if by_group is False else ARTICLES + GROUPS
    if not own:
        return draw(ANY_VALUES[tuple(pool)])
    return frozenset({pick(draw, own)}) | draw(EXTRA_VALUES[tuple(pool)])


def _calc_for(draw, line_: Line, kinds=(m.PCT, m.AMT, m.FIX)) -> m.Calc:
    """A calculator that discounts ``line_``'s unit price (when it is above 0)."""
    kind = pick(draw, kinds)
    top = max(1, abs(line_.unit_price))
    if kind == m.PCT:
        return m.Calc(kind, draw(FOCUS_PCT))
    if kind == m.AMT:
        return m.Calc(kind, between(draw, 1, min(2_000, top)))
    return m.Calc(kind, between(draw, 0, min(2_000, top - 1)))


def _focused_action(draw, focus: Line, lines: tuple[Line, ...], kinds=("UNIT", "UNIT", "UNIT", "RECEIPT", "QTIER",
                                                                        "BUNDLE", "GIFT", "SCALED")) -> m.PriceAction:
    """A price action that can discount ``focus`` (a line of the same part as ``lines``)."""
    kind = pick(draw, kinds)
    if kind == "UNIT":
        by_group = focus.group in GROUPS and (focus.article not in ARTICLES or draw(st.booleans()))
        part_milli = sum(abs(ln.milli) for ln in lines)
        how = draw(st.integers(0, 2))
        max_milli = None if how == 0 else (between(draw, 1, max(1, part_milli - 1)) if how == 1 else draw(WHOLE_MILLI))
        return m.UnitAction(by_group, one_of_values(draw, focus, by_group), _calc_for(draw, focus), max_milli)
    if kind == "RECEIPT":
        return m.ReceiptAction(draw(CALCS[m.PCT, m.AMT]))
    if kind == "SCALED":
        gross = sum(abs(ln.gross) for ln in lines)
        mins = sorted({between(draw, 0, max(0, gross)) for _ in range(between(draw, 1, 3))})
        return m.ScaledReceiptAction(tuple((x, draw(CALCS[m.PCT, m.AMT])) for x in mins))
    if kind == "QTIER":
        return m.QuantityTierAction(one_of_values(draw, focus), draw(FOCUS_QTY_TIERS))
    if kind == "BUNDLE":
        others = draw(st.lists(st.tuples(ITEM_VALUES, st.integers(1, 2)), max_size=1))
        comps = [(one_of_values(draw, focus), draw(st.integers(1, 2)))] + others
        return m.BundleAction(tuple(draw(st.permutations(comps))), _calc_for(draw, focus, (m.FIX, m.PCT, m.AMT)))
    return _gift_action(draw, focus, lines)


GIFT_SHAPES = ("same", "overlapping", "disjoint")  # docs/semantics.md: one set and different sets differ
GIFT_BUY_QTY = st.sampled_from([1, 1, 2, 3])  # small N: several repetitions fit in a basket
GIFT_GET_QTY = st.sampled_from([1, 1, 2])


def _matches(values: frozenset[str], line_: Line) -> bool:
    return line_.article in values or line_.group in values


def _gift_action(draw, focus: Line, lines: tuple[Line, ...], shapes: tuple[str, ...] = GIFT_SHAPES) -> m.GiftAction:
    """FREE_ITEM gift whose get set matches ``focus``, its buy set in one of ``shapes``: ``same`` (buy
    is the get set), ``overlapping`` (another set that matches ``focus`` too: a unit in both sets) or
    ``disjoint`` (values of other lines of the part, matching no line the get set matches; when the
    part has none, a set matching no line of it)."""
    shape = pick(draw, shapes)
    get = one_of_values(draw, focus)
    if shape == "disjoint" and draw(st.booleans()):  # a narrow get set leaves lines for buy
        get = frozenset({pick(draw, sorted(get & {focus.article, focus.group}) or sorted(get))})
    extra = [v for v in ARTICLES + GROUPS if v not in get]
    if shape == "same":
        buy = get
    elif shape == "overlapping":
        buy = one_of_values(draw, focus)
        if buy == get:
            buy = buy | {pick(draw, extra)}
    else:
        clash = {v for ln in lines if _matches(get, ln) for v in (ln.article, ln.group)}
        own = sorted({v for ln in lines for v in (ln.article, ln.group) if v in extra and v not in clash})
        buy = frozenset({pick(draw, own or [v for v in extra if v not in clash] or extra)})
        if own and len(own) > 1 and draw(st.booleans()):
            buy = buy | {pick(draw, own)}
    return m.GiftAction(buy, draw(GIFT_BUY_QTY), get, draw(GIFT_GET_QTY), draw(GIFT_PCT))


def _plain_promotion(draw, pid: str, actions: tuple[m.PriceAction, ...], basket: Basket, ctx: Context, *,
                    exclusive: bool = False, multiplicative: bool | None = None,
                    priority: int | None = None) -> m.Promotion:
    """A promotion whose conditions mostly hold for ``basket`` (now and then a MIN_SPEND or
    MIN_QUANTITY that fails, for recommendations, or a coupon condition)."""
    t = basket.time
    valid_from = draw(OFFSET)
    valid_from = None if valid_from is None else t - valid_from
    valid_to = draw(OFFSET)
    valid_to = None if valid_to is None else t + valid_to
    context = ()
    known = [(f, v) for f, v in [("CHANNEL", basket.channel), ("POS_GROUP", basket.pos_group),
                                 ("CUSTOMER_TIER", basket.tier), ("PAYMENT_MEANS", basket.payment_means)] if v]
    if chance(draw, 4):  # a context condition the basket meets
        f, value = pick(draw, known)
        context = (m.ContextCond(f, frozenset({value}) | draw(subset(CHANNELS + TIERS, min_size=0))),)
    usable = sorted(ctx.usable_types(basket.coupons))
    coupon_types = None
    if chance(draw, 3 if usable else 10):  # mostly a type whose code was presented and is usable
        types = usable or COUPON_TYPES
        coupon_types = frozenset({pick(draw, types), pick(draw, types)})
    article_conds = ()
    if chance(draw, 4):
        by_group = draw(st.booleans())
        article_conds = (m.ArticleCond(by_group, one_of_values(draw, pick(draw, basket.lines), by_group)),)
    gross = sum(max(0, ln.gross) for ln in basket.lines)
    min_spend = ()
    if chance(draw, 7):  # around the basket's gross: sometimes missed (a recommendation)
        min_spend = (m.MinSpend(max(1, gross + draw(st.integers(-300, 500))), draw(st.booleans())),)
    min_quantity = None
    if chance(draw, 8):
        milli = sum(max(0, ln.milli) for ln in basket.lines)
        min_quantity = m.MinQuantity(max(1, milli + draw(st.integers(-1_000, 2_500))))
    points = (draw(POINTS_ACTION),) if chance(draw, 4) else ()
    injects = ()
    if chance(draw, 8):
        injects = (m.InjectAction(draw(st.sampled_from(ARTICLES + ["FREE"])), 1000, draw(INJECT_PRICE)),)
    return m.Promotion(
        id=pid, name=f"promo {pid}", type="ARTICLE", active=True, valid_from=valid_from, valid_to=valid_to,
        window=None, pos_groups=None, priority=draw(st.integers(0, 3)) if priority is None else priority,
        exclusive=exclusive, multiplicative=draw(st.booleans()) if multiplicative is None else multiplicative,
        rounding_mode=draw(st.integers(0, 3)), rounding_step=draw(st.sampled_from([1, 1, 10, 100])), budget=None,
        article_conds=article_conds, min_quantity=min_quantity, min_spend=min_spend, context_conds=context,
        coupon_types=coupon_types, time_conds=(), price_actions=actions, injects=injects, points=points,
    )


def _part(lines: tuple[Line, ...], focus: Line) -> tuple[Line, ...]:
    """The lines of ``focus``'s part (sale or return)."""
    return tuple(ln for ln in lines if (ln.milli > 0) == (focus.milli > 0))


def _focus(draw, lines: tuple[Line, ...], returns: bool = False) -> Line:
    """A line that promotions can discount: known article or group, price above 0 (when there is one)."""
    good = [ln for ln in lines if ln.unit_price > 0 and (ln.article in ARTICLES or ln.group in GROUPS)
            and (ln.milli < 0) == returns]
    return pick(draw, good or lines)


def _targeted_lines(draw, features: frozenset[str], max_lines: int) -> tuple[Line, ...]:
    """Lines for ``features``: 16..max_lines tied sale lines for ``long``, whole units for ``gift``,
    return lines (some mirroring sale lines) for ``returns``."""
    groups = KNOWN_GROUPS
    if "long" in features:
        # One seeded Random for the many lines (drawing each field through Hypothesis made long baskets
        # the bulk of the suite's generation time); shrinking still drops lines from the end.
        n = between(draw, 16, max(16, max_lines))
        rnd = draw(st.randoms(use_true_random=True))
        lines = []
        for k in range(n):
            milli = rnd.randint(1, 6) * 1000 if rnd.random() < 0.6 else rnd.randint(1, 6_000)
            price = rnd.choice(TIED_PRICE_LIST)
            lines.append(Line(f"L{k}", rnd.choice(ARTICLES), rnd.choice(groups), milli, price, line_gross(price, milli)))
    elif "gift" in features:  # whole units, so that buy and get groups can form
        lines = []
        for k in range(between(draw, 2, max(2, min(6, max_lines)))):
            q, price = draw(st.integers(1, 4)) * 1000, draw(SHORT_PRICES)
            lines.append(Line(f"L{k}", pick(draw, ARTICLES), pick(draw, groups), q, price,
                              line_gross(price, q)))
    else:
        lines = [_line(draw, k, SHORT_PRICES, -1, ARTICLES + ["UNKNOWN"], groups)
                 for k in range(between(draw, 1, max(1, min(6, max_lines))))]
    if "returns" in features:
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):  # the mirror of a sale line
                ln = pick(draw, lines)
                lines.append(Line(f"L{len(lines)}", ln.article, ln.group, -ln.milli, ln.unit_price, -ln.gross))
            else:
                ln = _line(draw, len(lines), SHORT_PRICES, 0, ARTICLES + ["UNKNOWN"], groups)
                lines.append(ln)
        if draw(st.booleans()):
            lines = draw(st.permutations(lines))
            lines = [Line(f"L{k}", *astuple(ln)[1:]) for k, ln in enumerate(lines)]
    elif "long" not in features and chance(draw, 8):
        lines.append(_line(draw, len(lines), SHORT_PRICES, 0, ARTICLES + ["UNKNOWN"], groups))
    return tuple(lines)


def _order_sensitive_action(draw, f: Line, part: tuple[Line, ...]) -> m.PriceAction:
    """An action whose result depends on the dearest-first order or the largest-remainder ties."""
    kind = draw(st.sampled_from(["MAXQ", "MAXQ", "GIFT", "BUNDLE", "RECEIPT_AMT"]))
    if kind == "MAXQ":
        by_group = f.group in GROUPS and draw(st.booleans())
        return m.UnitAction(by_group, one_of_values(draw, f, by_group), _calc_for(draw, f), draw(LONG_MAX_MILLI))
    if kind == "GIFT":
        return _gift_action(draw, f, part)
    if kind == "BUNDLE":
        return _focused_action(draw, f, part, ("BUNDLE",))
    return m.ReceiptAction(m.Calc(m.AMT, draw(st.integers(1, 40))))  # small amounts: ties in the remainders


def _targeted(draw, features: frozenset[str], max_size: int, max_exclusive: int, max_lines: int):
    """(promotions, basket, context) built around the hard cases in ``features`` (module docstring)."""
    lines = _targeted_lines(draw, features, max_lines)
    coupons, checks = _coupons_and_checks(draw)
    if coupons and draw(st.booleans()):  # mostly a usable code of a known type among them
        code = pick(draw, coupons)
        checks = {**checks, code: CouponCheck(code, "USABLE", draw(st.sampled_from(COUPON_TYPES)))}
    basket = make_basket(draw, lines, coupons)
    ctx = Context(coupons=checks, prices={"A1": 111, "FREE": 5})
    promos: list[m.Promotion] = []
    room = max_size
    if "long" in features:
        max_exclusive = min(max_exclusive, 3)  # the reference prices 2**k choices of 40 lines

    def add(action, **kw):
        if len(promos) < room:
            promos.append(_plain_promotion(draw, f"P{len(promos):02d}", (action,), basket, ctx, **kw))

    focus = _focus(draw, lines)
    part = _part(lines, focus)
    order = draw(st.permutations(sorted(features)))
    for feature in order:
        if feature == "stacking":
            for _ in range(draw(st.integers(2, 3))):
                add(_focused_action(draw, focus, part, STACKING_KINDS), exclusive=False)
        elif feature == "exclusive":
            n_excl = between(draw, 2, max(2, max_exclusive))
            for _ in range(n_excl):
                f = _focus(draw, lines) if chance(draw, 4) else focus
                add(_focused_action(draw, f, _part(lines, f)), exclusive=True)
        elif feature == "multiplicative":
            prio = draw(st.integers(0, 3))
            if "stacking" not in features:
                add(_focused_action(draw, focus, part, STACKING_KINDS), multiplicative=draw(st.booleans()),
                    priority=prio)
            for _ in range(draw(st.integers(1, 2))):
                add(_focused_action(draw, focus, part), multiplicative=True, priority=between(draw, 0, prio))
        elif feature == "gift":
            for shape in draw(st.permutations(GIFT_SHAPES))[:between(draw, 1, 3)]:  # shapes differ
                add(_gift_action(draw, focus, part, (shape,)), exclusive=chance(draw, 5))
        elif feature == "returns":
            f = _focus(draw, lines, returns=True)
            for _ in range(draw(st.integers(1, 2))):
                add(_focused_action(draw, f, _part(lines, f)))
        elif feature == "long":
            for _ in range(draw(st.integers(1, 3))):
                f = _focus(draw, lines)
                add(_order_sensitive_action(draw, f, _part(lines, f)), exclusive=False)
    n_excl = sum(p.exclusive for p in promos)
    for _ in range(between(draw, 0, max(0, min(2, max_size - len(promos))))):  # noise
        p = _promotion(draw, f"P{len(promos):02d}", exclusive_ok=n_excl < max_exclusive)
        n_excl += p.exclusive
        promos.append(p)
    return promos, basket, ctx


@st.composite
def scenario(draw, max_size: int = 8, max_exclusive: int = 5, max_lines: int = 40,
             features: tuple[str, ...] = FEATURES, require: tuple[str, ...] = (), random_odds: int = 6):
    """(promotions, basket, context) with some budgets exhausted, overall or by the customer.

    One draw in ``random_odds`` is the broad random scenario (promotions with every kind of
    condition; 0: never); the others are targeted at a few of ``features`` (always including
    ``require``). Baskets have at most 6 lines (9 with returns), ``long`` ones 16 to ``max_lines``
    (``long`` is left out when ``max_lines`` < 16).
    """
    if max_lines < 16:
        features = tuple(f for f in features if f != "long")
    if not require and random_odds and chance(draw, random_odds):
        promos = _promotion_set(draw, max_size, max_exclusive)
        basket, ctx = _basket_and_context(draw, min(6, max_lines))
    else:
        chosen = {f for f in features if draw(TWO_IN_FIVE)} | set(require)
        if not chosen:
            chosen = {pick(draw, features)}
        promos, basket, ctx = _targeted(draw, frozenset(chosen), max_size, max_exclusive, max_lines)
    exhausted = frozenset()
    if chance(draw, 6):
        exhausted = draw(st.frozensets(st.sampled_from([p.id for p in promos] + ["NOPE"]), max_size=2))
    spent = frozenset()  # promotions the customer has used up (per-customer limit): priced without too
    if chance(draw, 6):
        spent = draw(st.frozensets(st.sampled_from([p.id for p in promos] + ["NOPE"]), max_size=2))
    ctx = Context(coupons=ctx.coupons, exhausted=exhausted, prices=ctx.prices, customer_spent=spent)
    return promos, basket, ctx


@st.composite
def batch(draw, max_baskets: int = 8):
    """(promotions, [(basket, context), ...]) for batch pricing: a scenario's promotions and basket,
    plus parts of that basket (so that the promotions fire on them too) and random baskets. Every
    context has the scenario's exhausted budgets (price_batch takes one set for the batch)."""
    promos, basket, ctx = draw(scenario())
    ctx = replace(ctx, customer_spent=frozenset())  # price_batch takes the tenant's set, no customer's
    cases = [(basket, ctx)]
    for _ in range(draw(st.integers(0, max_baskets - 1))):
        if draw(st.booleans()):
            keep = sorted(draw(st.sets(st.sampled_from(range(len(basket.lines))), min_size=1)))
            lines = tuple(Line(f"L{k}", *astuple(basket.lines[i])[1:]) for k, i in enumerate(keep))
            cases.append((replace(basket, lines=lines), ctx))
        else:
            other, other_ctx = _basket_and_context(draw)
            cases.append((other, replace(other_ctx, exhausted=ctx.exhausted)))
    return promos, cases
