"""The promotion as the engine sees it: frozen, integer units, one small record per rule.

Money in cents, quantities in thousandths, percentages in hundredths of a percent, times as
minutes after midnight. Built from the validated wire model by :func:`dre.promotion.parse`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from dre.store.records import NO_LIMIT

# Calculator kinds: how an action turns a base amount into a discount.
PCT = 0  # percent off (value: hundredths of a percent)
AMT = 1  # amount off (value: cents)
FIX = 2  # fixed price (value: cents); for bundles, the bundle price

Values = frozenset[str]


@dataclass(frozen=True)
class Calc:
    kind: int
    value: int


# ---- conditions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleCond:
    by_group: bool  # ARTICLE_GROUP matches the line's group; ARTICLE its article number
    values: Values


@dataclass(frozen=True)
class MinQuantity:
    milli: int


@dataclass(frozen=True)
class MinSpend:
    cents: int
    receipt_scope: bool  # RECEIPT: whole part's gross; QUALIFYING: qualifying lines' gross


@dataclass(frozen=True)
class ContextCond:
    field: str  # CHANNEL, POS_GROUP, CUSTOMER_TIER, CUSTOMER, PAYMENT_MEANS
    values: Values


@dataclass(frozen=True)
class CouponCond:
    type_ids: Values


@dataclass(frozen=True)
class TimeWindow:
    """Days 1..7 (Monday..Sunday) and [from, to) in minutes after local midnight."""

    days: frozenset[int] | None
    from_min: int
    to_min: int


# ---- actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitAction:
    """ARTICLE / ARTICLE_GROUP: a per-unit discount on matching lines."""

    by_group: bool
    values: Values
    calc: Calc
    max_milli: int | None


@dataclass(frozen=True)
class ReceiptAction:
    calc: Calc  # PCT or AMT


@dataclass(frozen=True)
class ScaledReceiptAction:
    tiers: tuple[tuple[int, Calc], ...]  # (minSpend cents, PCT|AMT), ascending minSpend


@dataclass(frozen=True)
class QuantityTierAction:
    values: Values  # article numbers or groups
    tiers: tuple[tuple[int, Calc], ...]  # (minQuantity milli, PCT|FIX), ascending


@dataclass(frozen=True)
class BundleAction:
    components: tuple[tuple[Values, int], ...]  # (values, whole units)
    calc: Calc  # FIX (bundle price), PCT or AMT


@dataclass(frozen=True)
class GiftAction:
    buy: Values
    buy_qty: int
    get: Values
    get_qty: int
    pct: int  # hundredths of a percent off each gift unit


@dataclass(frozen=True)
class InjectAction:
    article: str
    milli: int
    unit_price: int | None


@dataclass(frozen=True)
class PointsAction:
    """ADD_FIXED, SUBTRACT_POINTS, MULTIPLY_POINTS (factor in hundredths), CURRENCY_TO_POINTS."""

    kind: str
    points: int = 0
    per: int = 0  # CURRENCY_TO_POINTS: cents of net spend per `points`
    factor: int = 0  # MULTIPLY_POINTS: hundredths
    values: Values | None = None


@dataclass(frozen=True)
class IssueCouponAction:
    """ISSUE_COUPON: ``count`` new codes of ``coupon_type`` for the customer, issued after confirm."""

    coupon_type: str
    count: int


PriceAction = UnitAction | ReceiptAction | ScaledReceiptAction | QuantityTierAction | BundleAction | GiftAction


@dataclass(frozen=True)
class Budget:
    amount: int | None  # cents
    redemptions: int | None
    per_customer: int | None


@dataclass(frozen=True)
class Promotion:
    id: str
    name: str
    type: str
    active: bool
    valid_from: datetime | None
    valid_to: datetime | None
    window: TimeWindow | None
    pos_groups: Values | None
    priority: int
    exclusive: bool
    multiplicative: bool
    rounding_mode: int  # dre.money.ROUNDING_CODES
    rounding_step: int  # cents: 1, 10 or 100
    budget: Budget | None
    article_conds: tuple[ArticleCond, ...]
    min_quantity: MinQuantity | None
    min_spend: tuple[MinSpend, ...]
    context_conds: tuple[ContextCond, ...]
    coupon_types: Values | None  # COUPON condition (plus coupon types naming this promotion)
    time_conds: tuple[TimeWindow, ...]
    price_actions: tuple[PriceAction, ...]
    injects: tuple[InjectAction, ...]
    points: tuple[PointsAction, ...]
    issue_coupons: tuple[IssueCouponAction, ...] = ()
    version: int = 1
    raw: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def rank(self) -> tuple[int, str]:
        """Sort key of the application order: priority descending, then id ascending."""
        return (-self.priority, self.id)


def per_customer_limits(promotions: Iterable[Promotion]) -> tuple[tuple[str, int], ...]:
    """The promotions with a per-customer limit (budget.perCustomerRedemptions), as (id, limit)
    by id: what evaluate reads the customer's use of, once per basket."""
    return tuple((p.id, p.budget.per_customer) for p in sorted(promotions, key=lambda p: p.id)
                 if p.budget is not None and p.budget.per_customer is not None)


def budget_limits(promo: Promotion) -> tuple[int, int]:
    """(amount limit in cents, redemption limit) of a promotion's budget; NO_LIMIT where unset
    (the form the store's budget scripts take)."""
    b = promo.budget
    if b is None:
        return NO_LIMIT, NO_LIMIT
    return (NO_LIMIT if b.amount is None else b.amount), (NO_LIMIT if b.redemptions is None else b.redemptions)
