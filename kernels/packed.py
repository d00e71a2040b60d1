"""Reading the packed set ``T`` (kernels.layout REGIONS): row starts and set membership.

``T`` is the (N,) int64 array ``Compiled.tables.flat``. A table row is read as ``T[base + COLUMN]``
with ``base`` from the helpers below; sets are sorted runs of interned ids (binary search).
"""
from __future__ import annotations

import numpy as np

from kernels.config import jit, jit_inline
from kernels.layout import (
    A_COLS, COMP_COLS, CTXC_COLS, H_ACT, H_COMPS, H_CTXC, H_PROMO, H_PTS, H_SET_OFF, H_SET_VALS, H_SPEND,
    H_TIERS, H_TIMEC, P_COLS, PTS_COLS, SPEND_COLS, TIER_COLS, TIMEC_COLS,
)


@jit
def promo_row(T: np.ndarray, p: int) -> int:
    """Start of promotion ``p``'s row (P_* columns)."""
    return T[H_PROMO] + p * P_COLS


@jit
def act_row(T: np.ndarray, a: int) -> int:
    """Start of price action ``a``'s row (A_* columns)."""
    return T[H_ACT] + a * A_COLS


@jit
def tier_row(T: np.ndarray, t: int) -> int:
    return T[H_TIERS] + t * TIER_COLS


@jit
def comp_row(T: np.ndarray, c: int) -> int:
    return T[H_COMPS] + c * COMP_COLS


@jit
def pts_row(T: np.ndarray, r: int) -> int:
    return T[H_PTS] + r * PTS_COLS


@jit
def ctxc_row(T: np.ndarray, c: int) -> int:
    return T[H_CTXC] + c * CTXC_COLS


@jit
def timec_row(T: np.ndarray, c: int) -> int:
    return T[H_TIMEC] + c * TIMEC_COLS


@jit
def spend_row(T: np.ndarray, s: int) -> int:
    return T[H_SPEND] + s * SPEND_COLS


@jit_inline
def set_range(T: np.ndarray, s: int) -> tuple[int, int]:
    """[lo, hi): where set ``s``'s sorted values lie in T (``s`` >= 0)."""
    so = T[H_SET_OFF] + s
    return T[H_SET_VALS] + T[so], T[H_SET_VALS] + T[so + 1]


@jit
def in_set(T: np.ndarray, s: int, x: int) -> bool:
    """Is interned id ``x`` in set ``s``? (-1 set or -1 id: no.) Binary search over sorted values."""
    if s < 0 or x < 0:
        return False
    lo, hi = set_range(T, s)
    while lo < hi:
        mid = (lo + hi) >> 1
        v = T[mid]
        if v < x:
            lo = mid + 1
        elif v > x:
            hi = mid
        else:
            return True
    return False


@jit
def matches_any(T: np.ndarray, s: int, art: int, grp: int) -> bool:
    """QUANTITY_TIER, BUNDLE, FREE_ITEM, MULTIPLY_POINTS: article number or group listed."""
    return in_set(T, s, art) or in_set(T, s, grp)
