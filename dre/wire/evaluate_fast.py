"""The evaluate body's fast path: msgspec Structs for the bodies that are valid, pydantic for the rest.

``dre.wire.evaluate`` (pydantic) stays the schema: it documents the body in the OpenAPI document and
words every error a client sees. Validating a 30-line body with it costs ~100 µs of Python; most
bodies are valid, so :func:`decode_evaluate_body` first tries msgspec Structs of the same fields
with the same constraints, plus the checks msgspec has no words for (decimals, quantity not 0, the
cross-field rules) done in one pass over the lines. It answers only when it is sure: any body it
does not accept returns None and goes to pydantic, which accepts it or says why not. So it may
decline a body pydantic takes (an int written as ``2.0``, a decimal only ``parse_decimal`` can
confirm: slower, never different), but it must never accept a body pydantic refuses or read a
value differently: tests/dre/test_evaluate_fast.py checks both on generated bodies, so the two
schemas cannot drift apart unnoticed.

The JSON is read by orjson, the reader of every other body (``api.app.OrjsonProvider``): msgspec's
own reader skips unknown fields more leniently (invalid UTF-8, ``1e400``) and reads integers past
64 bits exactly where orjson gives floats. (orjson reads the bytes; ``request.get_json`` decodes them
as text first: a body that is not UTF-8 fails here and goes the slow way, as today.)
"""
from __future__ import annotations

import re
from typing import Annotated

import msgspec
import orjson
from pydantic import TypeAdapter, ValidationError

from dre.wire.evaluate import MAX_COUPONS, MAX_LINES, Channel
from dre.wire.types import MAX_ABS_QUANTITY, MAX_TEXT, MAX_UNIT_PRICE, Timestamp

_Str = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]  # dre.wire.types.NonEmptyStr
_CURRENCY = re.compile(r"[A-Z]{3}\Z")  # pydantic's ^[A-Z]{3}$ (its regex engine's $ is the end of the text)
_TIMESTAMP = TypeAdapter(Timestamp | None)  # the one field left to pydantic: its many date-time forms, exactly


class Header(msgspec.Struct):
    transactionId: _Str | None = None
    storeId: _Str | None = None
    currency: str = "EUR"
    timestamp: object = None  # read by _TIMESTAMP


class Item(msgspec.Struct):
    lineReference: _Str
    articleNumber: _Str
    quantity: float
    unitPrice: float
    ean: str | None = None
    articleGroupId: _Str | None = None
    originalTransactionId: _Str | None = None
    originalLineId: _Str | None = None


class Loyalty(msgspec.Struct):
    tier: _Str | None = None
    points: int | None = None


class Customer(msgspec.Struct):
    customerId: _Str | None = None
    loyaltyCardNo: _Str | None = None
    loyalty: Loyalty | None = None


class CouponRef(msgspec.Struct):
    code: _Str


class PaymentInfo(msgspec.Struct):
    paymentMeans: _Str | None = None
    cardType: _Str | None = None


class EvaluateRequest(msgspec.Struct):
    items: Annotated[list[Item], msgspec.Meta(max_length=MAX_LINES)]
    header: Header = msgspec.field(default_factory=Header)
    posGroupCode: _Str | None = None
    posGroupId: _Str | None = None
    channel: Channel = "IN_STORE"
    customer: Customer | None = None
    coupons: Annotated[list[CouponRef], msgspec.Meta(max_length=MAX_COUPONS)] = msgspec.field(default_factory=list)
    paymentInfo: PaymentInfo | None = None
    includeInactive: bool = False
    includeMissedPromotions: bool = False


class EvaluateRequestBody(msgspec.Struct):
    request: EvaluateRequest


def _lines_ok(items: list[Item]) -> bool:
    """What pydantic checks per line beyond types and lengths (dre.wire.types.Quantity, UnitPrice;
    Item._link), in one pass and without a call per number. A number passes when it is the double
    nearest to its rounding to 3 (2) decimals: the exact test dre.wire.types tries first (a number
    only parse_decimal can confirm goes to pydantic)."""
    for it in items:
        q, p = it.quantity, it.unitPrice
        m = round(q * 1000) if -MAX_ABS_QUANTITY <= q <= MAX_ABS_QUANTITY else 0
        if m == 0 or m / 1000 != q or not 0 <= p <= MAX_UNIT_PRICE or round(p * 100) / 100 != p:
            return False
        if it.originalTransactionId is not None or it.originalLineId is not None:
            if it.originalTransactionId is None or it.originalLineId is None or q >= 0:
                return False
    return True


def decode_evaluate_body(raw: bytes) -> EvaluateRequestBody | None:
    """The ``{"request": {...}}`` body read and validated as :class:`dre.wire.evaluate.EvaluateRequestBody`
    would, or None when this path is not sure (then pydantic decides, and words the error)."""
    try:
        body = msgspec.convert(orjson.loads(raw), EvaluateRequestBody)
    except (orjson.JSONDecodeError, msgspec.ValidationError):
        return None
    req = body.request
    h = req.header
    if not (req.posGroupCode or req.posGroupId) or not _CURRENCY.match(h.currency) or not _lines_ok(req.items):
        return None
    if len({it.lineReference for it in req.items}) != len(req.items):
        return None
    if h.timestamp is not None:
        try:
            h.timestamp = _TIMESTAMP.validate_python(h.timestamp)
        except ValidationError:
            return None
    return body
