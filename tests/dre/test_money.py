from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import example, given, strategies as st

from dre.money import allocate, milli_to_number, parse_decimal, round_ratio, to_major, to_milli, to_minor


@pytest.mark.parametrize("num,den,mode,step,expected", [
    (5, 2, 0, 1, 3), (-5, 2, 0, 1, -3), (5, 2, 1, 1, 2), (5, 2, 2, 1, 3),
    (499 * 10, 100, 0, 1, 50),  # 10% of 4.99 = 0.499 -> 0.50
    (499 * 10, 100, 1, 1, 49), (4901, 100, 2, 1, 50),
    (1234, 1, 0, 10, 1230), (1235, 1, 0, 10, 1240), (1201, 1, 2, 100, 1300), (1299, 1, 1, 100, 1200),
    (7, 1, 0, 1, 7),
])
def test_round_ratio(num, den, mode, step, expected):
    assert round_ratio(num, den, mode, step) == expected


def test_allocate_largest_remainder_ties_go_to_earlier_line():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [333, 333, 334]) == [3, 3, 4]
    assert allocate(0, [5, 5]) == [0, 0]
    assert allocate(7, [0, 0]) == [4, 3]


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=40))
def test_allocate_adds_up_and_is_proportional(total, weights):
    shares = allocate(total, weights)
    assert sum(shares) == total
    w = sum(weights)
    if w:
        for s, wi in zip(shares, weights):
            assert abs(s * w - total * wi) < w  # within one cent of the exact share


def test_wire_conversions():
    assert to_minor(4.99) == 499 and to_minor(10) == 1000
    assert to_milli(0.456) == 456 and to_milli(-2) == -2000
    with pytest.raises(ValueError, match="more than 2 decimals"):
        to_minor(4.999)
    with pytest.raises(ValueError, match="more than 2 decimals"):
        to_minor(0.1 + 0.2)  # a float artefact is refused, not silently rounded
    with pytest.raises(ValueError, match="must be a number"):
        to_minor("4.99")
    assert to_major(898) == 8.98 and repr(to_major(1)) == "0.01"
    assert milli_to_number(2000) == 2 and isinstance(milli_to_number(2000), int) and milli_to_number(456) == 0.456


def _decimal_reference(value: object, places: int) -> int:
    # parse_decimal as it was before its fast paths: the plain Decimal computation.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("v must be a number")
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError("v must be a finite number") from None
    if not d.is_finite():
        raise ValueError("v must be a finite number")
    scaled = d.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"v has more than {places} decimals")
    return int(scaled)


def _outcome(fn, *args):
    try:
        result = fn(*args)
    except ValueError as e:
        return "error", str(e)
    return type(result), result


def _cents(places: int):
    # Values written with at most `places` (or a few more) decimals, as a client sends them.
    return st.builds(lambda i, k: i / 10**k, st.integers(-10**12, 10**12), st.integers(0, places + 2))


NUMBERS = st.one_of(
    st.floats(),  # any float: inf, nan, -0.0, subnormals, huge, exponent reprs
    st.floats(-1e7, 1e7),
    st.floats(1e14, 1e20) | st.floats(-1e20, -1e14),  # around the switch to exponent repr (1e16)
    st.floats(-1e-3, 1e-3),  # 1e-05 and friends
    _cents(3),
    st.builds(lambda a, b: a + b, _cents(2), _cents(2)),  # 0.1 + 0.2 style artefacts
    st.builds(lambda a, b: a * b, _cents(2), _cents(3)),
    st.integers(),
    st.integers(-10**30, 10**30),  # around Decimal's 28-digit precision
)


@example(0.1 + 0.2, 2)
@example(1e-05, 3)
@example(-1e-05, 2)
@example(1e16, 2)
@example(1e15 + 0.5, 2)
@example(9999999999999998.0, 3)
@example(-0.0, 2)
@example(float("inf"), 2)
@example(float("nan"), 3)
@example(10**28 - 1, 3)
@example(10**28, 2)
@example(-(10**28) - 1, 2)
@example(123456789012345678901234567891, 3)
@given(NUMBERS, st.sampled_from([2, 3, 0, 1]))  # 2 and 3 are the ones in use
def test_parse_decimal_fast_paths_match_the_decimal_computation(value, places):
    assert _outcome(parse_decimal, value, places, "v") == _outcome(_decimal_reference, value, places)


@example(0.1 + 0.2, 2)
@example(1e-05, 3)
@example(999999999999.999, 3)
@example(1e12 - 0.001, 3)
@example(float("inf"), 2)
@example(float("nan"), 3)
@example(-0.0, 2)
@given(NUMBERS, st.sampled_from([2, 3]))
def test_the_wire_types_fast_decimals_check_agrees_with_parse_decimal(value, places):
    """dre.wire.types checks every request line's numbers with a rounding test first; it accepts
    exactly what parse_decimal accepts."""
    from dre.wire.types import _places

    accepted = _outcome(parse_decimal, value, places, "v")[0] != "error"
    assert (_outcome(_places(places), value)[0] != "error") == accepted


@given(st.integers(-10**9, 10**9), st.integers(-10**7, 10**7))
@example(1, 500)
@example(1, -500)
@example(-1, 1500)
@example(3, 833)
def test_a_lines_gross_is_the_half_up_ratio(unit_price, milli):
    from dre.basket import line_gross  # the one place a line's gross is computed

    assert line_gross(unit_price, milli) == round_ratio(unit_price * milli, 1000)
