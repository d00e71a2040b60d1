"""Constrained scalar types shared by the wire models."""
from __future__ import annotations

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
_NUMBER = GetPydanticSchema(lambda _source, _handler: core_schema.custom_error_schema(
    core_schema.float_schema(strict=True), custom_error_type="number_type", custom_error_message="must be a number"))


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


Money = Annotated[float, _NUMBER, AfterValidator(_places(2)), Field(ge=0, le=MAX_UNIT_PRICE * 1000)]
"""A non-negative amount in major units with at most 2 decimals."""
UnitPrice = Annotated[float, _NUMBER, AfterValidator(_places(2)), Field(ge=0, le=MAX_UNIT_PRICE)]
Quantity = Annotated[
    float, _NUMBER, AfterValidator(_nonzero_places(3)),
    Field(ge=-MAX_ABS_QUANTITY, le=MAX_ABS_QUANTITY),
]
"""Quantity with at most 3 decimals; negative for returns; never 0."""
Percent = Annotated[float, _NUMBER, AfterValidator(_places(2)), Field(gt=0, le=100)]
PositiveQuantity = Annotated[float, _NUMBER, AfterValidator(_places(3)), Field(gt=0, le=MAX_ABS_QUANTITY)]
Count = Annotated[int, BeforeValidator(_number), Field(ge=1, le=1_000_000)]
NonEmptyStr = Annotated[str, Field(min_length=1, max_length=200)]
