import pytest
from hypothesis import given, strategies as st

from dre.money import allocate, milli_to_number, round_ratio, to_major, to_milli, to_minor


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
