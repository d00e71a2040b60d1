"""POST /pos/coupons/{validate,reserve,redeem,cancel,activate,issue,void}: bodies (validated) and answers."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dre.wire.types import NonEmptyStr

MAX_ISSUE = 1000  # codes per issue call (a bigger campaign is several calls)


class _Open(BaseModel):
    model_config = ConfigDict(extra="ignore")  # POS clients may send more than we read


class ValidateRequest(_Open):
    code: NonEmptyStr
    customerId: NonEmptyStr | None = Field(default=None, description="A personal code is valid only with the "
                                                                      "customerId it was issued to")


class ReserveRequest(_Open):
    code: NonEmptyStr
    transactionId: NonEmptyStr
    customerId: NonEmptyStr | None = Field(default=None, description="Required for a personal code (its "
                                                                      "owner's); counted against per-customer limits")


class ReservationRequest(_Open):
    reservationId: NonEmptyStr


class ActivateRequest(_Open):
    code: NonEmptyStr
    customerId: NonEmptyStr


class IssueRequest(_Open):
    couponTypeId: NonEmptyStr
    customerIds: list[NonEmptyStr] = Field(min_length=1, max_length=MAX_ISSUE)


class VoidRequest(_Open):
    code: NonEmptyStr


Reason = Literal["INVALID", "NOT_ACTIVE", "EXPIRED", "ALREADY_REDEEMED", "RESERVED_ELSEWHERE", "LIMIT_REACHED",
                 "NOT_FOR_CUSTOMER", "CANCELLED", "OFFLINE_REFUSED"]


class ValidateResponse(BaseModel):
    code: str
    valid: bool
    status: str | None = Field(description="CREATED, ACTIVE, RESERVED, REDEEMED, EXPIRED, CANCELLED; null for an "
                                           "unknown code")
    reason: Reason | None = Field(description="Why it is not usable now; null when valid. NOT_ACTIVE also when "
                                              "its coupon type is INACTIVE; NOT_FOR_CUSTOMER: a personal code "
                                              "presented for another customer or for none; CANCELLED: voided; "
                                              "OFFLINE_REFUSED: at a store's local instance while central is "
                                              "away, its type's offlinePolicy is REFUSE")
    couponTypeId: str | None
    promotionIds: list[str]
    validTo: str | None


class ReserveResponse(BaseModel):
    reservationId: str
    code: str
    transactionId: str
    status: Literal["RESERVED"]
    expiresAt: str = Field(description="Not redeemed by then, the code returns to ACTIVE by itself")


class RedeemResponse(BaseModel):
    reservationId: str
    code: str
    transactionId: str
    customerId: str | None
    status: Literal["REDEEMED"]


class CancelResponse(BaseModel):
    reservationId: str
    status: Literal["CANCELLED", "EXPIRED"] = Field(description="EXPIRED: the reservation had lapsed already")


class ActivateResponse(BaseModel):
    code: str
    customerId: str
    status: Literal["ACTIVE"]


class IssuedCode(BaseModel):
    code: str
    customerId: str
    status: Literal["CREATED"]


class IssueResponse(BaseModel):
    couponTypeId: str
    codes: list[IssuedCode] = Field(description="One per customerId, in request order; activate each before use")


class VoidResponse(BaseModel):
    code: str
    status: Literal["CANCELLED"]
    cancelledAt: str = Field(description="When it was voided (the first void, for a repeated one)")
