"""The promotion JSON of the contract (``/admin/promotions`` and the start-up file).

Unknown fields are refused (a typo such as ``percentoff`` must not silently make a promotion do
nothing), and so is every unknown condition or action type: rules are checked when written.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from dre.wire.types import (JSON_INTEGER, JSON_NUMBER, Count, Flag, Money, NonEmptyStr, Percent, PositiveMoney,
                             PositiveQuantity, Timestamp)

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"
Values = Annotated[list[NonEmptyStr], Field(min_length=1, max_length=10_000)]
Days = Annotated[list[Annotated[int, Field(ge=1, le=7), JSON_INTEGER]], Field(min_length=1, max_length=7)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _exactly_one(model: BaseModel, names: tuple[str, ...]) -> None:
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) != 1:
        raise ValueError(f"exactly one of {', '.join(names)} is required")


# ---- conditions ---------------------------------------------------------------------------


class ArticleCondition(_Strict):
    type: Literal["ARTICLE", "ARTICLE_GROUP"]
    values: Values


class MinQuantityCondition(_Strict):
    type: Literal["MIN_QUANTITY"]
    value: PositiveQuantity


class MinSpendCondition(_Strict):
    type: Literal["MIN_SPEND"]
    value: Money
    scope: Literal["QUALIFYING", "RECEIPT"] = "QUALIFYING"


class ContextCondition(_Strict):
    type: Literal["CHANNEL", "POS_GROUP", "CUSTOMER_TIER", "CUSTOMER", "PAYMENT_MEANS"]
    values: Values


class CouponCondition(_Strict):
    type: Literal["COUPON"]
    couponTypeIds: Values


class TimeCondition(_Strict):
    type: Literal["TIME"]
    daysOfWeek: Days | None = Field(default=None, description="1 = Monday .. 7 = Sunday")
    from_: str | None = Field(default=None, alias="from", pattern=HHMM)
    to: str | None = Field(default=None, pattern=HHMM)


Condition = Annotated[
    Union[ArticleCondition, MinQuantityCondition, MinSpendCondition, ContextCondition, CouponCondition, TimeCondition],
    Field(discriminator="type"),
]

# ---- actions ------------------------------------------------------------------------------


class UnitAction(_Strict):
    type: Literal["ARTICLE", "ARTICLE_GROUP"]
    values: Values
    percentOff: Percent | None = None
    amountOff: Money | None = None
    fixedPrice: Money | None = None
    maxQuantity: PositiveQuantity | None = None

    @model_validator(mode="after")
    def _one(self) -> "UnitAction":
        _exactly_one(self, ("percentOff", "amountOff", "fixedPrice"))
        return self


class ReceiptAction(_Strict):
    type: Literal["RECEIPT"]
    percentOff: Percent | None = None
    amountOff: Money | None = None

    @model_validator(mode="after")
    def _one(self) -> "ReceiptAction":
        _exactly_one(self, ("percentOff", "amountOff"))
        return self


class SpendTier(_Strict):
    minSpend: Money
    percentOff: Percent | None = None
    amountOff: Money | None = None

    @model_validator(mode="after")
    def _one(self) -> "SpendTier":
        _exactly_one(self, ("percentOff", "amountOff"))
        return self


def _distinct(values: list, what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"tiers must have distinct {what}")


class ScaledReceiptAction(_Strict):
    type: Literal["SCALED_RECEIPT"]
    tiers: Annotated[list[SpendTier], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _tiers(self) -> "ScaledReceiptAction":
        _distinct([t.minSpend for t in self.tiers], "minSpend")
        return self


class QuantityTier(_Strict):
    minQuantity: PositiveQuantity
    percentOff: Percent | None = None
    unitPrice: Money | None = None

    @model_validator(mode="after")
    def _one(self) -> "QuantityTier":
        _exactly_one(self, ("percentOff", "unitPrice"))
        return self


class QuantityTierAction(_Strict):
    type: Literal["QUANTITY_TIER"]
    values: Values
    tiers: Annotated[list[QuantityTier], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _tiers(self) -> "QuantityTierAction":
        _distinct([t.minQuantity for t in self.tiers], "minQuantity")
        return self


class BundleComponent(_Strict):
    values: Values
    quantity: Annotated[int, Field(ge=1, le=100), JSON_INTEGER]


class BundleAction(_Strict):
    type: Literal["BUNDLE"]
    components: Annotated[list[BundleComponent], Field(min_length=1, max_length=20)]
    bundlePrice: Money | None = None
    percentOff: Percent | None = None
    amountOff: Money | None = None

    @model_validator(mode="after")
    def _one(self) -> "BundleAction":
        _exactly_one(self, ("bundlePrice", "percentOff", "amountOff"))
        return self


class GiftPart(_Strict):
    values: Values
    quantity: Annotated[int, Field(ge=1, le=100), JSON_INTEGER]


class GiftAction(_Strict):
    """Buy N get M, repeated while both last: each repetition takes the N dearest buy units, then
    discounts M get units. Buy and get the same set: the M cheapest of each group of N+M dearest
    units. Different sets: the M cheapest get units not yet used (a unit in both sets counts as buy
    first). Whole units only; see docs/semantics.md."""

    type: Literal["FREE_ITEM"]
    mode: Literal["GIFT"] = "GIFT"
    buy: GiftPart
    get: GiftPart
    percentOff: Percent = 100


class InjectAction(_Strict):
    type: Literal["FREE_ITEM"]
    mode: Literal["INJECT"]
    articleNumber: NonEmptyStr
    quantity: PositiveQuantity = 1
    unitPrice: Money | None = Field(default=None, description="price the granted item is booked at; else the article master's; else 0")


class AddFixedAction(_Strict):
    type: Literal["ADD_FIXED"]
    points: Count


class SubtractPointsAction(_Strict):
    type: Literal["SUBTRACT_POINTS"]
    points: Count


class MultiplyPointsAction(_Strict):
    type: Literal["MULTIPLY_POINTS"]
    factor: Annotated[float, Field(gt=1, le=100), JSON_NUMBER]
    values: Values | None = None

    @model_validator(mode="after")
    def _places(self) -> "MultiplyPointsAction":
        if round(self.factor * 100) != self.factor * 100:
            raise ValueError("factor has more than 2 decimals")
        return self


class CurrencyToPointsAction(_Strict):
    type: Literal["CURRENCY_TO_POINTS"]
    points: Count
    per: PositiveMoney


class IssueCouponAction(_Strict):
    """Post-purchase coupon: at confirm, a new code of this coupon type is issued to the customer."""

    type: Literal["ISSUE_COUPON"]
    couponTypeId: NonEmptyStr
    count: Annotated[int, Field(ge=1, le=10), JSON_INTEGER] = 1


def _action_tag(v: Any) -> str | None:
    get = v.get if isinstance(v, dict) else lambda k, d=None: getattr(v, k, d)
    t = get("type")
    if t == "FREE_ITEM":
        return "FREE_ITEM:INJECT" if get("mode") == "INJECT" else "FREE_ITEM:GIFT"
    return t


Action = Annotated[
    Union[
        Annotated[UnitAction, Tag("ARTICLE")],
        Annotated[UnitAction, Tag("ARTICLE_GROUP")],
        Annotated[ReceiptAction, Tag("RECEIPT")],
        Annotated[ScaledReceiptAction, Tag("SCALED_RECEIPT")],
        Annotated[QuantityTierAction, Tag("QUANTITY_TIER")],
        Annotated[BundleAction, Tag("BUNDLE")],
        Annotated[GiftAction, Tag("FREE_ITEM:GIFT")],
        Annotated[InjectAction, Tag("FREE_ITEM:INJECT")],
        Annotated[AddFixedAction, Tag("ADD_FIXED")],
        Annotated[SubtractPointsAction, Tag("SUBTRACT_POINTS")],
        Annotated[MultiplyPointsAction, Tag("MULTIPLY_POINTS")],
        Annotated[CurrencyToPointsAction, Tag("CURRENCY_TO_POINTS")],
        Annotated[IssueCouponAction, Tag("ISSUE_COUPON")],
    ],
    Discriminator(_action_tag),
]

# ---- promotion ----------------------------------------------------------------------------


class Rounding(_Strict):
    mode: Literal["HALF_UP", "DOWN", "UP", "NONE"] = "HALF_UP"
    precision: Annotated[int, Field(ge=0, le=2), JSON_INTEGER] = 2


class Budget(_Strict):
    amount: Money | None = Field(default=None, description="money budget (sum of discounts) over all confirms")
    redemptions: Count | None = Field(default=None, description="confirmed transactions that may use the promotion")
    perCustomerRedemptions: Count | None = None


class Validity(_Strict):
    daysOfWeek: Days | None = Field(default=None, description="1 = Monday .. 7 = Sunday, store local time")
    from_: str | None = Field(default=None, alias="from", pattern=HHMM)
    to: str | None = Field(default=None, pattern=HHMM)


class PromotionIn(_Strict):
    id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=500)]
    type: Literal["ARTICLE", "RECEIPT", "LOYALTY", "BUNDLE", "COUPON"]
    status: Literal["ACTIVE", "INACTIVE"] = "ACTIVE"
    validFrom: Timestamp | None = None
    validTo: Timestamp | None = None
    validity: Validity | None = None
    posGroups: Annotated[list[NonEmptyStr], Field(max_length=10_000)] | None = None
    priority: Annotated[int, Field(ge=-1_000_000, le=1_000_000), JSON_INTEGER] = 0
    exclusive: Flag = False
    calculationMode: Literal["ADDITIVE", "MULTIPLICATIVE"] = "ADDITIVE"
    rounding: Rounding = Field(default_factory=Rounding)
    budget: Budget | None = None
    conditions: Annotated[list[Condition], Field(max_length=100)] = Field(default_factory=list)
    actions: Annotated[list[Action], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _window(self) -> "PromotionIn":
        if self.validFrom and self.validTo and self.validFrom > self.validTo:
            raise ValueError("validFrom must not be after validTo")
        return self
