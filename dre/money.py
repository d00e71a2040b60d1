"""Money: integer minor units inside the engine, JSON numbers in major units on the wire.

The engine assumes currencies with two decimals (EUR, USD, ...): one major unit = 100 minor.
Every rounding of money happens through :func:`round_ratio`, so each calculator rounds in one place.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import Enum

MINOR_PER_MAJOR = 100  # two-decimal currencies
MILLI = 1000  # quantities are carried as integer thousandths (weighed goods: 3 decimals)


class Rounding(str, Enum):
    HALF_UP = "HALF_UP"  # .5 away from zero
    DOWN = "DOWN"  # toward zero
    UP = "UP"  # away from zero
    NONE = "NONE"  # no per-unit rounding: the exact amount is carried to the line, rounded HALF_UP there


ROUNDING_CODES = {Rounding.HALF_UP: 0, Rounding.DOWN: 1, Rounding.UP: 2, Rounding.NONE: 3}


def round_ratio(num: int, den: int, mode: int = 0, step: int = 1) -> int:
    """Round the rational ``num/den`` to a multiple of ``step`` by ``mode``.

    ``mode`` is a code from ``ROUNDING_CODES`` (0 HALF_UP, 1 DOWN, 2 UP; 3 NONE rounds HALF_UP here,
    because the caller applies NONE by not rounding per unit). Works for negative values symmetrically
    (away from / toward zero). Integers only, so it is exact and reproducible by the numba kernels.
    """
    if den < 0:
        num, den = -num, -den
    neg = num < 0
    a = -num if neg else num
    d = den * step
    q, r = divmod(a, d)
    if mode == 1:
        pass
    elif mode == 2:
        if r:
            q += 1
    elif 2 * r >= d:
        q += 1
    q *= step
    return -q if neg else q


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` over ``weights`` in proportion, by the largest remainder method.

    Shares add up to ``total`` exactly. Ties in remainder go to the earlier index. All weights
    must be >= 0; if they sum to 0 the split is even by count (remainder to the earliest).
    """
    n = len(weights)
    if n == 0:
        return []
    w_sum = sum(weights)
    if w_sum == 0:
        weights = [1] * n
        w_sum = n
    shares = [total * w // w_sum for w in weights]
    rems = [total * w - s * w_sum for w, s in zip(weights, shares)]
    left = total - sum(shares)
    order = sorted(range(n), key=lambda i: (-rems[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


_EXACT_INT = 10**28  # Decimal's default precision: larger ints are rounded by scaleb, so they take that path


def parse_decimal(value: object, places: int, what: str) -> int:
    """A JSON number with at most ``places`` decimals, as an integer count of 10**-places.

    Raises ValueError with a human sentence when the value is not a number or too precise.
    ``places`` is >= 0.
    """
    # Fast paths (every request line goes through here) with the same results and errors as
    # _parse_decimal; tests/dre/test_money.py compares the two. Exact types only: subclasses
    # (bool, IntEnum, numpy floats with their own repr) keep the Decimal path.
    kind = type(value)
    if kind is float:
        text = repr(value)
        if "e" not in text and "n" not in text:  # not 1e-05, 1e+16, inf or nan
            whole, _, fraction = text.partition(".")
            fraction = fraction.rstrip("0")
            if len(fraction) > places:
                raise ValueError(f"{what} has more than {places} decimals")
            return int(whole + fraction + "0" * (places - len(fraction)))
    elif kind is int and -_EXACT_INT < value < _EXACT_INT:
        return value * 10**places
    return _parse_decimal(value, places, what)


def _parse_decimal(value: object, places: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(f"{what} must be a number")
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} must be a finite number") from None
    if not d.is_finite():
        raise ValueError(f"{what} must be a finite number")
    scaled = d.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} has more than {places} decimals")
    return int(scaled)


def to_minor(value: object, what: str = "amount") -> int:
    """Major-unit JSON number -> minor units. ``4.99`` -> 499."""
    return parse_decimal(value, 2, what)


def to_major(minor: int) -> float:
    """Minor units -> a float whose shortest repr is the exact decimal (``898`` -> ``8.98``)."""
    return minor / MINOR_PER_MAJOR


def to_milli(value: object, what: str = "quantity") -> int:
    """Quantity JSON number -> thousandths. ``0.456`` -> 456."""
    return parse_decimal(value, 3, what)


def milli_to_number(milli: int) -> int | float:
    """Thousandths -> JSON number: an int where whole (``2``), else a float (``0.456``)."""
    return milli // MILLI if milli % MILLI == 0 else milli / MILLI
