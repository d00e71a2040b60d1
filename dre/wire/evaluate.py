"""The evaluate/simulate request body (``{"request": {...}}``), as in the contract."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dre.wire.types import Flag, Integer, NonEmptyStr, Quantity, Timestamp, UnitPrice

MAX_LINES = 500
MAX_COUPONS = 50
Channel = Literal["IN_STORE", "ONLINE", "MOBILE"]


class _Open(BaseModel):
    # POS clients send more than we read (forward compatibility): unknown fields are ignored.
    model_config = ConfigDict(extra="ignore")


class Header(_Open):
    transactionId: NonEmptyStr | None = None
    storeId: NonEmptyStr | None = None
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    timestamp: Timestamp | None = Field(default=None, description=(
        "Evaluation time; server clock when absent. TIME conditions and validity hours read it in the "
        "store's time zone when one is set (/admin/stores/{storeId}, else the /admin/settings default), "
        "else at its own offset. A time without offset is store-local (UTC when the store has no zone)."))


class Item(_Open):
    lineReference: NonEmptyStr
    articleNumber: NonEmptyStr
    quantity: Quantity
    unitPrice: UnitPrice
    ean: str | None = None
    articleGroupId: NonEmptyStr | None = Field(default=None, description="Taken from the article master when absent.")
    originalTransactionId: NonEmptyStr | None = Field(
        default=None, description="A return line (quantity < 0) may name the confirmed sale it comes from, with "
                                  "originalLineId (that sale's lineReference): it then gives back exactly the "
                                  "discount that line got, per unit, never more (docs/semantics.md, Linked returns).")
    originalLineId: NonEmptyStr | None = Field(default=None, description="The sale's lineReference; with "
                                                                          "originalTransactionId.")

    @model_validator(mode="after")
    def _link(self) -> "Item":
        if (self.originalTransactionId is None) != (self.originalLineId is None):
            raise ValueError("originalTransactionId and originalLineId go together")
        if self.originalTransactionId is not None and self.quantity >= 0:
            raise ValueError("only a return line (quantity < 0) names an original sale")
        return self


class Loyalty(_Open):
    tier: NonEmptyStr | None = None
    points: Integer | None = None


class Customer(_Open):
    customerId: NonEmptyStr | None = None
    loyaltyCardNo: NonEmptyStr | None = None
    loyalty: Loyalty | None = None


class CouponRef(_Open):
    code: NonEmptyStr


class PaymentInfo(_Open):
    paymentMeans: NonEmptyStr | None = None
    cardType: NonEmptyStr | None = None


class EvaluateRequest(_Open):
    header: Header = Field(default_factory=Header)
    posGroupCode: NonEmptyStr | None = None
    posGroupId: NonEmptyStr | None = None
    channel: Channel = "IN_STORE"
    items: list[Item] = Field(max_length=MAX_LINES)
    customer: Customer | None = None
    coupons: list[CouponRef] = Field(default_factory=list, max_length=MAX_COUPONS)
    paymentInfo: PaymentInfo | None = None
    includeInactive: Flag = Field(default=False, description="simulate only: also price INACTIVE promotions")
    includeMissedPromotions: Flag = Field(default=False, description="simulate only: return recommendations")

    @model_validator(mode="after")
    def _checks(self) -> "EvaluateRequest":
        if not (self.posGroupCode or self.posGroupId):
            raise ValueError("posGroupCode (or posGroupId) is required")
        refs = [i.lineReference for i in self.items]
        if len(set(refs)) != len(refs):
            raise ValueError("lineReference must be unique within the basket")
        return self


class EvaluateRequestBody(_Open):
    request: EvaluateRequest
