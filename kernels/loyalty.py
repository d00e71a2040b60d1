"""Loyalty points of the applied promotions on one part (twin of dre.evaluate.loyalty)."""
from __future__ import annotations

import numpy as np

from kernels.arith import floor_mul_div
from kernels.config import jit
from kernels.lines import BY_EITHER, matching
from kernels.packed import promo_row, pts_row
from kernels.layout import (
    P_PTS_END, P_PTS_OFF, PT_FACTOR, PT_KIND, PT_PER, PT_POINTS, PT_SET, PTS_ADD, PTS_CURRENCY,
    PTS_MULTIPLY, PTS_SUBTRACT,
)


@jit
def points(T, chosen: np.ndarray, L, net: np.ndarray, fixed: bool, out: np.ndarray) -> None:
    """Points of each chosen promotion (whole numbers, rounded down) on the part's net amounts.

    Args: chosen: (k,) promotions applied, rank order; net: (n,) int64 line nets; fixed: ADD_FIXED
    and SUBTRACT_POINTS count (the sale part only: they are per transaction); out: (k,) int64.
    MULTIPLY_POINTS adds, per CURRENCY_TO_POINTS action applied, ``factor - 1`` times the points that
    action gives on the matching lines' net, rounded down per action.
    """
    total_net = net.sum()
    for k in range(chosen.shape[0]):
        row = promo_row(T, chosen[k])
        got = 0
        for r in range(T[row + P_PTS_OFF], T[row + P_PTS_END]):
            x = pts_row(T, r)
            kind = T[x + PT_KIND]
            if kind == PTS_CURRENCY:
                got += total_net * T[x + PT_POINTS] // T[x + PT_PER]
            elif kind == PTS_ADD:
                if fixed:
                    got += T[x + PT_POINTS]
            elif kind == PTS_SUBTRACT:
                if fixed:
                    got -= T[x + PT_POINTS]
            elif kind == PTS_MULTIPLY:
                s = T[x + PT_SET]
                match = matching(T, s, L, BY_EITHER)
                matched = 0
                for i in range(net.shape[0]):
                    if s < 0 or match[i]:
                        matched += net[i]
                for k2 in range(chosen.shape[0]):
                    row2 = promo_row(T, chosen[k2])
                    for e in range(T[row2 + P_PTS_OFF], T[row2 + P_PTS_END]):
                        y = pts_row(T, e)
                        if T[y + PT_KIND] == PTS_CURRENCY:
                            got += floor_mul_div(matched * T[y + PT_POINTS], T[x + PT_FACTOR] - 100,
                                                 T[y + PT_PER] * 100)
        out[k] = got
