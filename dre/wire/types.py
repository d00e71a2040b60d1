"""Constrained scalar types shared by the wire models."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, GetPydanticSchema
from pydantic_core import core_schema

from dre.money import parse_decimal

MAX_UNIT_PRICE = 1_000_000  # major units; keeps every intermediate product within int64
MAX_ABS_QUANTITY = 10_000


def _number(v: object) -> object:
    # JSON numbers only: "4.99" as a string or true as 1 is an integration bug worth reporting.
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError("must be a number")
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


def _decimal(check: Callable[[float], float], **bounds: float) -> GetPydanticSchema:
    """A JSON number: type, then ``check`` (decimals), then ``bounds`` (ge/gt/le), in that order, each
    with the message it has always had. The bounds are pydantic-core's own float checks: written as
    Field(ge=...) after a custom schema, pydantic applies them as one Python call each, and every
    request line has two such numbers. The JSON schema is what Field(...) gave (``ge``/``le`` keys)."""
    def schema(_source: object, _handler: object) -> core_schema.CoreSchema:
        return core_schema.chain_schema(
            [core_schema.no_info_after_validator_function(check, _STRICT_NUMBER), core_schema.float_schema(**bounds)],
            metadata={"pydantic_js_updates": bounds})

    return GetPydanticSchema(schema)


Money = Annotated[float, _decimal(_places(2), ge=0, le=MAX_UNIT_PRICE * 1000)]
"""A non-negative amount in major units with at most 2 decimals."""
UnitPrice = Annotated[float, _decimal(_places(2), ge=0, le=MAX_UNIT_PRICE)]
Quantity = Annotated[float, _decimal(_nonzero_places(3), ge=-MAX_ABS_QUANTITY, le=MAX_ABS_QUANTITY)]
"""Quantity with at most 3 decimals; negative for returns; never 0."""
Percent = Annotated[float, _decimal(_places(2), gt=0, le=100)]
PositiveQuantity = Annotated[float, _decimal(_places(3), gt=0, le=MAX_ABS_QUANTITY)]
Count = Annotated[int, BeforeValidator(_number), Field(ge=1, le=1_000_000)]
MAX_TEXT = 200  # characters of any text field
NonEmptyStr = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
