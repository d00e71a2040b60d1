"""The kernels' integer arithmetic against Python's exact big integers, up to the basket limits."""
from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dre.money import allocate as py_allocate
from dre.money import round_ratio as py_round_ratio
from kernels.arith import allocate, floor_mul_div, line_amount, mul_div_half_up, round_ratio

import numpy as np

INT64_MAX = 2**63 - 1
MAX_PRICE = 100_000_000  # 1,000,000.00 in cents
MAX_MILLI = 10_000_000  # 10,000 units
MAX_GROSS = 1_000_000_000  # 10,000,000.00 in cents


def test_none_rounding_at_the_limits_exceeds_int64_but_is_exact():
    # 1,000.00 x 10,000 units = 10,000,000.00 (the basket limit), 99.99 % off, NONE rounding.
    price, milli, pct = 100_000, MAX_MILLI, 9_999
    num, den = price * milli * pct, milli * 10_000  # unit_discount(PCT) of the base unit
    assert num * milli > INT64_MAX  # the naive product would overflow
    want = py_round_ratio(num * milli, den * 1000)
    assert mul_div_half_up(num, den, milli) == want == line_amount(num, den, milli, 3, 1)
    assert mul_div_half_up(-num, den, milli) == -want


@settings(max_examples=2000, deadline=None)
@given(st.integers(1, MAX_PRICE), st.integers(1, MAX_MILLI), st.integers(1, 10_000),
       st.integers(0, MAX_MILLI), st.integers(-500, 0))
def test_mul_div_half_up_matches_big_integers(price, milli, pct, dq, skew):
    if price * milli > MAX_GROSS * 1000:  # beyond the basket limit on |gross|
        price = MAX_GROSS * 1000 // milli
    dq = min(dq, milli)
    num, den = (price * milli + skew) * pct, milli * 10_000  # skew: multiplicative bases may dip below 0
    assert mul_div_half_up(num, den, dq) == py_round_ratio(num * dq, den * 1000)


@settings(max_examples=1000, deadline=None)
@given(st.integers(-10**15, 10**15), st.integers(-10**12, 10**12).filter(bool), st.integers(0, 3),
       st.sampled_from([1, 10, 100]))
def test_round_ratio_matches_reference(num, den, mode, step):
    assert round_ratio(num, den, mode, step) == py_round_ratio(num, den, mode, step)


@settings(max_examples=1000, deadline=None)
@given(st.integers(0, MAX_GROSS * 1_000_000), st.integers(-99, 9_900), st.integers(1, 10**13))
def test_floor_mul_div(x, y, d):
    assume(abs(x * y // d) < 2**63)  # its domain: a result int64 holds (points are far below that)
    assert floor_mul_div(x, y, d) == x * y // d


@settings(max_examples=1000, deadline=None)
@given(st.integers(0, MAX_GROSS), st.lists(st.integers(0, MAX_GROSS // 500), min_size=1, max_size=50))
def test_allocate_matches_reference(total, weights):
    out = np.zeros(len(weights), dtype=np.int64)
    allocate(total, np.array(weights, dtype=np.int64), out)
    assert out.tolist() == py_allocate(total, weights)
    assert out.sum() == total


@settings(max_examples=1000, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.sampled_from([0, 1, 2, 3, 7]), min_size=1, max_size=40))
def test_allocate_equal_remainders_go_to_the_earlier_lines(total, weights):
    # Few distinct weights: many lines share a remainder, and only some of them get a cent.
    out = np.zeros(len(weights), dtype=np.int64)
    allocate(total, np.array(weights, dtype=np.int64), out)
    assert out.tolist() == py_allocate(total, weights)
