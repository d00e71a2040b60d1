"""EvaluateResponseV2 as pydantic models: documents (not validates) what evaluate/simulate answer.

The answer itself is shaped by ``dre.response.build_response``; a test checks that real answers
validate against these models, so the document cannot drift from the code.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from dre.wire.types import Integer, Number

# JSON-typed (no true for 1, no "5" for 5): central also reads these from a local instance's
# forwarded answer (api.central.schemas.ForwardedAnswer)
Money = Number  # major units, at most 2 decimals; negative on return lines


class ResponseHeader(BaseModel):
    transactionId: str = Field(description="As sent, or a server-made UUID when the request had none")
    transactionCounter: int | None = Field(
        default=None, description="evaluate only: 1 on the first evaluate of the transactionId, +1 on each later one")


class Meta(BaseModel):
    header: ResponseHeader
    isSimulation: bool
    durationMs: float = Field(description="Server-side pricing time; the only field that differs between "
                                          "two answers to the same basket and rules")
    bestDealExact: bool = Field(
        description="false when the best-deal search among exclusive promotions stopped at its work bound: the "
                    "discounts are valid and the best found, not proven the best (deterministic: the same basket "
                    "and rules give the same answer)")
    counterSource: Literal["STORE", "LOCAL"] | None = Field(
        default=None, description="evaluate only. LOCAL: the store was unreachable and the counter came from the "
                                  "worker's memory; such an iteration cannot be confirmed")


class Discount(BaseModel):
    promotionId: str
    promotionName: str
    promotionType: Literal["ARTICLE", "RECEIPT", "LOYALTY", "BUNDLE", "COUPON"]
    amount: Money
    couponCode: str | None


class LineItem(BaseModel):
    lineReference: str
    articleNumber: str
    quantity: float
    unitPrice: Money
    lineGross: Money
    lineDiscount: Money
    lineNet: Money = Field(description="lineGross - lineDiscount, never below 0 on a sale line")
    discounts: list[Discount]


class GrantedItem(BaseModel):
    articleNumber: str
    quantity: float
    unitPrice: Money
    promotionId: str


class PromotionAmount(BaseModel):
    promotionId: str
    amount: Money


class SavingsSummary(BaseModel):
    totalSavings: Money
    byPromotion: list[PromotionAmount]
    loyaltyPointsEarned: Integer = Field(
        description="The sum over promotions of their points on the sale part minus their points on the return part "
                    "(confirm lists them per promotion in appliedPromotions[].loyaltyPoints)")


class Totals(BaseModel):
    gross: Money
    discount: Money
    net: Money
    currency: str
    savingsSummary: SavingsSummary


class CouponResult(BaseModel):
    code: str
    status: Literal["APPLIED", "NOT_APPLICABLE", "INVALID", "NOT_ACTIVE", "EXPIRED", "ALREADY_REDEEMED",
                    "RESERVED_ELSEWHERE", "LIMIT_REACHED"]
    reason: Literal["NOT_FOR_CUSTOMER", "CANCELLED", "NOT_STACKABLE", "OFFLINE_REFUSED"] | None = Field(
        description="The finer cause behind status, null when status says it all: NOT_FOR_CUSTOMER (status "
                    "NOT_ACTIVE: a personal code presented for another customer or for none), CANCELLED (status "
                    "NOT_ACTIVE: the code was voided, or its GENERIC type deleted), NOT_STACKABLE (status "
                    "NOT_APPLICABLE: a code whose type has isStackable false is not combined with another code; "
                    "request order decides), OFFLINE_REFUSED (status NOT_ACTIVE: at a store's local instance while "
                    "central is away, a code whose type's offlinePolicy is REFUSE)")
    promotionIds: list[str]
    message: str


class Recommendation(BaseModel):
    promotionId: str
    type: Literal["MISSED_PROMOTION"]
    message: str
    missingAmount: Money
    missingQuantity: float
    potentialSavings: Money


class MissedPromotion(BaseModel):
    promotionId: str
    promotionName: str
    reason: Literal["CUSTOMER_LIMIT_REACHED"] = Field(
        description="CUSTOMER_LIMIT_REACHED: the customer has redeemed it budget.perCustomerRedemptions times")
    message: str


class EvaluateResponse(BaseModel):
    """EvaluateResponseV2."""

    meta: Meta
    lineItems: list[LineItem] = Field(description="One per request line, in request order")
    grantedItems: list[GrantedItem]
    totals: Totals
    couponResults: list[CouponResult]
    recommendations: list[Recommendation] = Field(
        description="evaluate: always; simulate: only with includeMissedPromotions")
    missedPromotions: list[MissedPromotion] = Field(
        description="Promotions whose conditions this basket meets but that were priced without, and why (by "
                    "promotionId): a customer at a promotion's per-customer limit is not offered it again. "
                    "evaluate: always; simulate: only with includeMissedPromotions. While the store cannot be "
                    "read, customers' usage is unknown: the basket is priced as if it were zero (confirm still "
                    "refuses a promotion over its limit) and this list stays empty")
