"""Wire models of the loyalty POS event, field names exactly as on the seed page (JSON camelCase).

One set of models serves both formats. JSON values arrive typed: a number field refuses text and
booleans, a boolean field refuses anything but true/false. XML values arrive as text, so the XML
codec validates with ``context={"text": True}``, which lets pydantic read "1", "true" or
"2025-11-04T11:10:23" from text. Property names are matched case-insensitively (ASP.NET's JSON
binder, which the seed documents, does the same: "LoyaltyNumber" binds to loyaltyNumber). Unknown
fields are ignored.

XML element names derive from the field names (first letter upper-cased); where the seed names an
element otherwise, an :class:`Xml` marker in the field's metadata says so, also for the item
elements of lists. The root element names are the class variable ``xml_root``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, WithJsonSchema, model_validator

from dre.wire.types import date_time_text


@dataclass(frozen=True)
class Xml:
    """XML naming of a field: its element name and, for a list, the name of each item element."""

    name: str | None = None
    item: str | None = None


def _from_text(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("text"))


def _number(v: Any, info: ValidationInfo) -> Any:
    # bool is an int in Python and "1" would pass pydantic's lax mode: neither is a JSON number.
    if isinstance(v, bool) or (isinstance(v, str) and not _from_text(info)):
        raise ValueError("must be a number")
    return v


def _boolean(v: Any, info: ValidationInfo) -> Any:
    if not isinstance(v, bool) and not _from_text(info):
        raise ValueError("must be true or false")
    return v


_WCF_DATE = re.compile(r"^/Date\((-?\d+)([+-])(\d\d)(\d\d)\)/$|^/Date\((-?\d+)\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# .NET's DateTime range, 0001-01-01 to 9999-12-31, in milliseconds since the epoch; a day inside
# each end, so that the time in any UTC offset is a date too.
_WCF_MIN_MS = -62135596800000 + 86_400_000
_WCF_MAX_MS = 253402300799999 - 86_400_000


def _datetime(v: Any) -> Any:
    """Also read the WCF JSON date ``/Date(1762272623731-0500)/`` that older .NET clients send.

    The milliseconds must fall in .NET's DateTime range (else "out of range", a ValueError that
    pydantic reports as the field's error): ``/Date(99999999999999999999)/`` is no date. Otherwise
    an ISO 8601 text, as dre.wire.types.Timestamp: never a number (pydantic's Unix time)."""
    if isinstance(v, str) and (m := _WCF_DATE.match(v.strip())):
        ms = m.group(5) if m.group(5) is not None else m.group(1)
        if len(ms) > 20 or not _WCF_MIN_MS <= int(ms) <= _WCF_MAX_MS:  # length first: int() of 10^6 digits
            raise ValueError("out of range")
        moment = _EPOCH + timedelta(milliseconds=int(ms))  # exact, unlike fromtimestamp(ms / 1000)
        if m.group(5) is not None:
            return moment
        hours, minutes = int(m.group(3)), int(m.group(4))
        if hours > 23 or minutes > 59:
            raise ValueError("UTC offset out of range")
        sign = -1 if m.group(2) == "-" else 1
        return moment.astimezone(timezone(sign * timedelta(hours=hours, minutes=minutes)))
    return date_time_text(v)


# .NET's widest integer: beyond it no POS sends a value, and the replay key must stay serialisable.
# The JSON Schemas are stated: pydantic would document the bounds as "ge"/"le" (no JSON Schema
# keywords) and a Decimal as "number or string", while a JSON string is refused.
Int = Annotated[int, BeforeValidator(_number), Field(ge=-(2**63), le=2**63 - 1),
                WithJsonSchema({"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1})]
Dec = Annotated[Decimal, BeforeValidator(_number),  # exact: 4.99 stays 4.99, precision is checked later
                WithJsonSchema({"type": "number"})]
Bool = Annotated[bool, BeforeValidator(_boolean)]
DateTime = Annotated[datetime, BeforeValidator(_datetime)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _fold_case(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        names = {n.lower(): n for n in cls.model_fields}
        return {names.get(k.lower(), k) if isinstance(k, str) else k: v for k, v in data.items()}


# ---- request ------------------------------------------------------------------------------


class LoyaltyAccount(Wire):
    loyaltyNumber: str
    tenantId: Int | None = None


class Employee(Wire):
    id: str | None = None
    fullName: str | None = None


class BillLineItem(Wire):
    itemId: Int
    quantity: Dec
    amount: Dec  # the line total, see dre.loyalty.event
    itemName: str | None = None
    selected: Bool | None = None
    matchedPOS: Bool | None = None
    isCombo: Bool | None = None
    parentItemId: str | None = None
    sizeId: Int | None = None
    itemGuid: str | None = None


class LoyaltyBill(Wire):
    checkNumber: Int
    server: Employee | None = None
    manager: Employee | None = None
    orderModeId: Int | None = None
    transactionDateTime: DateTime
    businessDate: DateTime
    businessDateTime: DateTime | None = None
    total: Dec
    billLineItems: Annotated[list[BillLineItem] | None, Xml(item="BillLineItem")] = None


class LoyaltyPromotion(Wire):
    couponSourceCode: Annotated[str, Xml("PromotionCode")]


class LoyaltyPOSEventRequest(Wire):
    xml_root: ClassVar[str] = "LoyaltyPOSEventRequest"

    loyalty: LoyaltyAccount
    bill: LoyaltyBill
    nativeDiscounts: Annotated[list[LoyaltyPromotion] | None, Xml("Promotion", item="LoyaltyPromotion")] = None


# ---- response -----------------------------------------------------------------------------


class Result(Wire):
    statusCode: Int
    description: str | None = None
    exceptionTrackingMoniker: str | None = None


class Reward(Wire):
    promotionId: Int
    promotionCode: str | None = None
    promotionPublicName: str | None = None
    promotionPublicDescription: str | None = None
    promotionPublicRestrictions: str | None = None
    promotionExpiration: str | None = None
    promotionValue: Dec = Field(Decimal(0), json_schema_extra={"default": 0})
    rewardUuid: str | None = None
    promotionKey: str | None = Field(None, description="DRE's promotion id (promotionId is its integer form: the "
                                                       "id when numeric, else a stable negative alias)")


class LoyaltyPromotionResult(Wire):
    nativeDiscount: Annotated[LoyaltyPromotion | None, Xml("LoyaltyPromotion")] = None
    result: Result


class LoyaltyPOSEventResponse(Wire):
    xml_root: ClassVar[str] = "LoyaltyPOSEventResponse"

    pointsEarned: Int
    totalPoints: Int
    rewards: Annotated[list[Reward], Xml(item="Reward")]
    result: Result
    nativeDiscountResults: Annotated[list[LoyaltyPromotionResult] | None,
                                     Xml("PromotionResults", item="LoyaltyPromotionResult")] = None
