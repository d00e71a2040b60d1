"""POST /pos/v2/confirm: the request body (validated) and the answer (documented); GET
/pos/v2/transactions/{transactionId}/{transactionCounter}/side-effects: the answer (documented)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.evaluate import Totals
from dre.wire.types import NonEmptyStr


class _Open(BaseModel):
    model_config = ConfigDict(extra="ignore")  # POS clients may send more than we read


class ConfirmHeader(_Open):
    transactionId: NonEmptyStr
    transactionCounter: int = Field(ge=1, strict=True, description="The counter evaluate answered; only the "
                                                                    "transaction's latest one can be confirmed")


class ConfirmRequest(_Open):
    header: ConfirmHeader


class ConfirmRequestBody(_Open):
    """``{"request": {"header": {"transactionId", "transactionCounter"}}}``: the basket is not resent."""

    request: ConfirmRequest


class ConfirmHeaderOut(BaseModel):
    transactionId: str
    transactionCounter: int


class ConfirmMeta(BaseModel):
    header: ConfirmHeaderOut


class AppliedPromotion(BaseModel):
    """A promotion that took effect: on the sale part, or only by the points it takes back on the
    return part (amount 0, budgetConsumed null: it consumes nothing and unlocks no code)."""

    promotionId: str
    amount: float = Field(description="Discount on the sale part, major units")
    loyaltyPoints: int = Field(
        description="The transaction's points from this promotion: its points on the sale part minus its points "
                    "on the return part. They add up to totals.savingsSummary.loyaltyPointsEarned, which is what "
                    "the side-effects job books")
    couponCode: str | None = Field(description="The code that unlocked a coupon-triggered promotion")
    budgetConsumed: float | None = Field(
        description="What this confirm consumed of the promotion's money budget (the sale-part discount; "
                    "returns never release budget). Each confirm also counts one redemption. "
                    "null: the promotion has no budget, or it is listed only for points on the return part")


class CouponRedemption(BaseModel):
    code: str
    status: str = Field(description="REDEEMED: claimed by this transaction inside the confirm (an INDIVIDUAL "
                                    "code is REDEEMED, a GENERIC one counts one use)")


class SideEffectsLink(BaseModel):
    status: str = Field(description="PENDING in the confirm answer (also on replays, which repeat the first "
                                    "answer byte for byte); follow href for the live state")
    href: str


class ConfirmResponse(BaseModel):
    """The committed iteration. A replay of the same transactionId + transactionCounter returns these
    same bytes and consumes nothing."""

    meta: ConfirmMeta
    status: str = Field(description="CONFIRMED")
    confirmedAt: str = Field(description="UTC, ISO 8601")
    totals: Totals = Field(description="The totals of the confirmed iteration, as evaluate answered them")
    appliedPromotions: list[AppliedPromotion]
    couponRedemptions: list[CouponRedemption]
    sideEffects: SideEffectsLink


class LoyaltyResult(BaseModel):
    memberId: str = Field(description="loyaltyCardNo of the evaluate request, else its customerId")
    pointsEarned: int
    totalPoints: int


class PostPurchaseCoupon(BaseModel):
    code: str = Field(description="Issued ACTIVE for the customer (unbound when the transaction had none)")
    couponTypeId: str
    promotionId: str = Field(description="The ISSUE_COUPON promotion that granted it")
    validTo: str | None


class SideEffectsResults(BaseModel):
    couponRedemptions: list[CouponRedemption] = Field(description="Redeemed inside the confirm itself")
    loyalty: LoyaltyResult | None = Field(description="null when the transaction named no member")
    postPurchaseCoupons: list[PostPurchaseCoupon]
    auditLogId: str
    warnings: list[str] = Field(description="Effects that could not be made and will not be retried "
                                            "(e.g. the coupon type of an ISSUE_COUPON promotion was deleted)")


class SideEffectsResponse(BaseModel):
    """State of the side-effects job of a confirmed iteration (kept as long as the store keeps jobs).
    Answers are cached for about a second per worker: polling faster sees the same answer."""

    transactionId: str
    transactionCounter: int
    status: Literal["PENDING", "RUNNING", "COMPLETED", "FAILED"] = Field(
        description="PENDING: queued (or waiting for a retry); RUNNING: a worker holds it; FAILED: gave up after "
                    "repeated errors (lastError says why)")
    attempts: int
    createdAt: str | None
    startedAt: str | None
    completedAt: str | None
    lastError: str | None
    results: SideEffectsResults | None = Field(description="Set once COMPLETED")
