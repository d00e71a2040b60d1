"""Constrained scalar types shared by the wire models."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, GetPydanticSchema, Strict
from pydantic_core import core_schema

from dre.money import parse_decimal

MAX_UNIT_PRICE = 1_000_000  # major units; keeps every intermediate product within int64
MAX_ABS_QUANTITY = 10_000


def _json_number(message: str) -> Callable[[object], object]:
    def check(v: object) -> object:
        # JSON numbers only: "4.99" as a string or true as 1 is an integration bug worth reporting.
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(message)
        return v

    return check


_number = _json_number("must be a number")
_integer = _json_number("must be an integer")  # then pydantic's lax int takes 2.0 as 2 and refuses 2.5


_DIGITS = re.compile(r"\s*[+-]?\d+(\.\d*)?\s*")


def date_time_text(v: object) -> object:
    """``v`` if it is a date-time text for pydantic to read (or a datetime built in Python: JSON
    never yields one); else ValueError. Pydantic would also read a number, or a text of digits, as
    Unix time (1.2e-139 as 1970-01-01T00:00:00Z)."""
    if isinstance(v, datetime):
        return v
    if not isinstance(v, str) or _DIGITS.fullmatch(v):
        raise ValueError("must be an ISO 8601 date-time text, e.g. 2026-11-27T10:15:00+01:00")
    return v


# _number for the float types, done by pydantic-core without a Python call: a strict float takes an
# int or a float and refuses bool, str and the rest, here with the message clients have always had.
# It also takes Decimal and Fraction, which orjson (every JSON reader here) never yields. Count keeps
# _number: a strict int would refuse 2.0, which it takes today.
_STRICT_NUMBER = core_schema.custom_error_schema(
    core_schema.float_schema(strict=True), custom_error_type="number_type", custom_error_message="must be a number")


def _places(n: int):
    scale = 10**n

    def check(v: float) -> float:
        # Fast exact test first (every request line has two such numbers): below 1e12, v has at
        # most n decimals exactly when v is the double nearest to round(v * 10**n) / 10**n
        # (tests/dre/test_money.py checks it agrees with parse_decimal); parse_decimal says why not.
        if not (-1e12 < v < 1e12 and round(v * scale) / scale == v):
            parse_decimal(v, n, "value")
        return v

    return check


def _nonzero_places(n: int):
    places = _places(n)

    def check(v: float) -> float:  # one call per request line instead of two
        places(v)
        if v == 0:
            raise ValueError("must not be 0")
        return v

    return check


_JSON_SCHEMA_BOUND = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


def _decimal(check: Callable[[float], float], **bounds: float) -> GetPydanticSchema:
    """A JSON number: type, then ``check`` (decimals), then ``bounds`` (ge/gt/le), in that order, each
    with the message it has always had. The bounds are pydantic-core's own float checks: written as
    Field(ge=...) after a custom schema, pydantic applies them as one Python call each, and every
    request line has two such numbers. The JSON schema states the bounds as JSON Schema does
    (minimum, exclusiveMinimum, maximum)."""
    def schema(_source: object, _handler: object) -> core_schema.CoreSchema:
        return core_schema.chain_schema(
            [core_schema.no_info_after_validator_function(check, _STRICT_NUMBER), core_schema.float_schema(**bounds)],
            metadata={"pydantic_js_updates": {_JSON_SCHEMA_BOUND[k]: v for k, v in bounds.items()}})

    return GetPydanticSchema(schema)


Money = Annotated[float, _decimal(_places(2), ge=0, le=MAX_UNIT_PRICE * 1000)]
"""A non-negative amount in major units with at most 2 decimals."""
PositiveMoney = Annotated[float, _decimal(_places(2), gt=0, le=MAX_UNIT_PRICE * 1000)]
UnitPrice = Annotated[float, _decimal(_places(2), ge=0, le=MAX_UNIT_PRICE)]
Quantity = Annotated[float, _decimal(_nonzero_places(3), ge=-MAX_ABS_QUANTITY, le=MAX_ABS_QUANTITY)]
"""Quantity with at most 3 decimals; negative for returns; never 0."""
Percent = Annotated[float, _decimal(_places(2), gt=0, le=100)]
PositiveQuantity = Annotated[float, _decimal(_places(3), gt=0, le=MAX_ABS_QUANTITY)]
Count = Annotated[int, Field(ge=1, le=1_000_000), BeforeValidator(_number)]
JSON_NUMBER, JSON_INTEGER = BeforeValidator(_number), BeforeValidator(_integer)
"""After a float's or an int's bounds: ``Annotated[int, Field(ge=1), JSON_INTEGER]`` (so placed, the
bounds stay the JSON schema's minimum and maximum; after it they would be documented as ge/le keys)."""
Number = Annotated[float, JSON_NUMBER]
"""A JSON number: not true, not "4.99" (pydantic's lax float takes both)."""
Integer = Annotated[int, JSON_INTEGER]
"""A JSON integer (2.0 counts as 2): not true, not "5" (pydantic's lax int takes both). Every integer
of a request body is one (bounded: ``x: Integer = Field(ge=1)``, or with JSON_INTEGER)."""
Timestamp = Annotated[datetime, BeforeValidator(date_time_text)]
"""An ISO 8601 date-time text (pydantic's forms: with or without offset, a date alone at midnight),
never a number. Every date-time of a request body."""
Flag = Annotated[bool, Strict()]
"""true or false: not 1, not "yes" (pydantic's lax bool takes both). Every boolean of a request body."""
MAX_TEXT = 200  # characters of any text field
NonEmptyStr = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
