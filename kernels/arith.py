"""Integer money arithmetic of the kernels: the numba twins of dre.money and dre.evaluate.calculators.

Everything is int64. The only product that can exceed int64 within the documented limits is the
NONE-rounding line amount ``num * dq / (den * 1000)`` (up to ~1e23); :func:`mul_div_half_up` computes
it from the mixed number ``num = q * den + r`` so every intermediate stays below ~1e18.
"""
from __future__ import annotations

import numpy as np

from dre.promotion.model import AMT, PCT
from kernels.config import jit

HALF_UP = 0
DOWN = 1
UP = 2
NONE = 3
MILLI = 1000
PCT_DEN = 10_000  # percent in hundredths


@jit
def round_ratio(num: int, den: int, mode: int, step: int) -> int:
    """``num/den`` rounded to a multiple of ``step`` (dre.money.round_ratio; NONE rounds HALF_UP)."""
    if den < 0:
        num = -num
        den = -den
    neg = num < 0
    a = -num if neg else num
    d = den * step
    q = a // d
    r = a - q * d
    if mode == DOWN:
        pass
    elif mode == UP:
        if r != 0:
            q += 1
    elif 2 * r >= d:
        q += 1
    q *= step
    return -q if neg else q


@jit
def mul_div_half_up(num: int, den: int, dq: int) -> int:
    """``round_half_up(num * dq / (den * 1000))`` without forming ``num * dq``.

    Requires ``den > 0``, ``dq >= 0``, ``|num| // den * dq`` and ``den * dq`` and ``1000 * den``
    within int64 (true under the basket limits: den <= 1e11, dq <= 1e7). Symmetric for negative
    ``num``, as round_ratio.
    """
    neg = num < 0
    a = -num if neg else num
    q = a // den
    r = a - q * den  # a = q*den + r, so a*dq = (q*dq + r*dq // den) * den + r*dq % den
    b = r * dq
    bq = b // den
    br = b - bq * den
    n = q * dq + bq  # a*dq = n*den + br
    n1 = n // MILLI
    n0 = n - n1 * MILLI  # value = n1 + (n0*den + br) / (1000*den)
    if 2 * (n0 * den + br) >= MILLI * den:
        n1 += 1
    return -n1 if neg else n1


@jit
def floor_mul_div(x: int, y: int, d: int) -> int:
    """``floor(x * y / d)`` for ``x >= 0, d > 0`` without forming ``x * y`` (loyalty multipliers);
    the result itself must fit in int64."""
    q = x // d
    r = x - q * d
    return q * y + (r * y) // d


@jit
def unit_discount(kind: int, value: int, num: int, den: int) -> tuple[int, int]:
    """Exact unit discount ``(num, den)`` of a PCT/AMT/FIX calculator on the base unit ``num/den``."""
    if kind == PCT:
        return num * value, den * PCT_DEN
    if kind == AMT:
        return min(value * den, num), den
    return max(0, num - value * den), den  # FIX


@jit
def line_amount(num: int, den: int, dq: int, mode: int, step: int) -> int:
    """Amount for ``dq`` thousandths of units at the exact unit discount ``num/den`` cents."""
    if mode == NONE:
        return mul_div_half_up(num, den, dq)
    unit = round_ratio(num, den, mode, step)
    return round_ratio(unit * dq, MILLI, HALF_UP, 1)


@jit
def per_unit_amount(kind: int, value: int, unit_price: int, milli: int, done: int, dq: int,
                    mode: int, step: int) -> int:
    """A calculator on ``dq`` thousandths of a line whose base is its gross minus ``done``."""
    num, den = unit_discount(kind, value, unit_price * milli - MILLI * done, milli)
    return line_amount(num, den, dq, mode, step)


@jit
def pooled_amount(kind: int, value: int, covered: int, mode: int, step: int) -> int:
    """An amount covering several lines (RECEIPT, SCALED_RECEIPT, BUNDLE percent), rounded once."""
    if kind == PCT:
        if mode == NONE:
            return round_ratio(covered * value, PCT_DEN, HALF_UP, 1)
        return round_ratio(covered * value, PCT_DEN, mode, step)
    return min(value, covered)


@jit
def unit_value(base_line: int, milli: int) -> int:
    """A whole unit's value in cents (bundles): the line's base per unit, HALF_UP."""
    return round_ratio(base_line * MILLI, milli, HALF_UP, 1)


@jit
def allocate(total: int, weights: np.ndarray, out: np.ndarray) -> None:
    """Split ``total`` over ``weights`` (int64, >= 0) by the largest remainder into ``out``.

    Ties in remainder go to the earlier index; all-zero weights split evenly by count.
    """
    allocate_into(total, weights, out, np.empty(weights.shape[0], dtype=np.int64))


@jit
def allocate_into(total: int, weights: np.ndarray, out: np.ndarray, rems: np.ndarray) -> None:
    """allocate with caller's scratch ``rems`` ((n,) int64, overwritten)."""
    n = weights.shape[0]
    if n == 0:
        return
    w = weights
    w_sum = 0
    for i in range(n):
        w_sum += w[i]
    if w_sum == 0:
        w = np.ones(n, dtype=np.int64)
        w_sum = n
    left = total
    for i in range(n):
        s = total * w[i] // w_sum
        out[i] = s
        rems[i] = total * w[i] - s * w_sum
        left -= s
    if left <= 0:
        return
    # The ``left`` (< n) largest remainders get a cent each, equal remainders in index order (a
    # stable argsort's first ``left``): every remainder above the left-th largest, then that value's
    # first lines in index order. A selection in place finds that value in a few passes, where a
    # scan per cent cost left x n steps and a sort n log n (a receipt-level action over 30 lines
    # runs this several times a basket).
    cut = select(rems, n - left)
    above = 0
    for i in range(n):
        if total * w[i] - out[i] * w_sum > cut:
            above += 1
    at_cut = left - above  # lines whose remainder equals ``cut`` that get a cent, first ones first
    for i in range(n):
        r = total * w[i] - out[i] * w_sum
        if r > cut:
            out[i] += 1
        elif r == cut and at_cut > 0:
            out[i] += 1
            at_cut -= 1


@jit
def select(a: np.ndarray, k: int) -> int:
    """The value at position ``k`` of ``a`` sorted ascending (Hoare's selection; reorders ``a``)."""
    lo = 0
    hi = a.shape[0] - 1
    while lo < hi:
        pivot = a[(lo + hi) >> 1]
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return a[k]
    return a[k]
