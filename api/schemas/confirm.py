"""POST /pos/v2/confirm: the request body (validated) and the answer (documented)."""
from __future__ import annotations

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
    promotionId: str
    amount: float = Field(description="Discount on the sale part, major units")
    loyaltyPoints: int
    couponCode: str | None = Field(description="The code that unlocked a coupon-triggered promotion")
    budgetConsumed: float | None = Field(
        description="What this confirm consumed of the promotion's money budget (the sale-part discount; "
                    "returns never release budget). Each confirm also counts one redemption. "
                    "null: the promotion has no budget")


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
