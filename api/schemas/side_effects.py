"""GET /pos/v2/transactions/{transactionId}/{transactionCounter}/side-effects answer."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.confirm import CouponRedemption


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
