"""Applying promotions to a part in order, with clamping (twin of dre.evaluate.apply)."""
from __future__ import annotations

import numpy as np

from kernels.actions import plain_unit, run_action
from kernels.arith import per_unit_amount
from kernels.config import jit, jit_inline
from kernels.layout import (
    A_BY_GROUP, A_CALC_KIND, A_CALC_VALUE, A_SET, P_ACT_END, P_ACT_OFF, P_MULTIPLICATIVE, P_ROUND_MODE,
    P_ROUND_STEP,
)
from kernels.lines import BY_ART, BY_GROUP, matching
from kernels.packed import act_row, promo_row


# Scratch rows a part needs for stacking (allocated once per part, reused by every promotion):
# 0, 1: apply_promo's basis and raw action amounts; 2, 3: apply_set / set_saving's running totals.
WORK_ROWS = 4


@jit
def apply_promo(T, p: int, L, done: np.ndarray, out: np.ndarray, work: np.ndarray) -> None:
    """Clamped per-line amounts of promotion ``p`` on top of ``done`` (what earlier ones took).

    Args: L: the part (see kernels.actions); done, out: (n,) int64; work: (WORK_ROWS, n) int64
    scratch (rows 0-1 overwritten). ADDITIVE promotions compute on the gross, MULTIPLICATIVE ones on
    what is left (including their own earlier actions). Each amount is clamped to what is left of
    the line, so no line goes below 0.
    """
    gross = L[4]
    n = gross.shape[0]
    row = promo_row(T, p)
    mode = T[row + P_ROUND_MODE]
    step = T[row + P_ROUND_STEP]
    mult = T[row + P_MULTIPLICATIVE] != 0
    out[:] = 0
    a0 = T[row + P_ACT_OFF]
    if T[row + P_ACT_END] == a0 + 1 and plain_unit(T, a0):
        # One unit action without maxQuantity (most promotions): its clamped amount on the lines it
        # matches, in one pass instead of the general loop's five over the part; a line it does not
        # match gets 0 there too (max(0, min(0, left)) is 0).
        r = act_row(T, a0)
        kind = T[r + A_CALC_KIND]
        value = T[r + A_CALC_VALUE]
        match = matching(T, T[r + A_SET], L, BY_GROUP if T[r + A_BY_GROUP] != 0 else BY_ART)
        milli, up = L[2], L[3]
        for i in range(n):
            if match[i]:
                amount = per_unit_amount(kind, value, up[i], milli[i], done[i] if mult else 0, milli[i], mode, step)
                out[i] = max(0, min(amount, gross[i] - done[i]))
        return
    basis = work[0]
    raw = work[1]
    basis[:] = 0
    for a in range(a0, T[row + P_ACT_END]):
        if mult:
            for i in range(n):
                basis[i] = done[i] + out[i]
        run_action(T, a, L, basis, mode, step, raw)
        for i in range(n):
            out[i] += max(0, min(raw[i], gross[i] - done[i] - out[i]))


@jit
def apply_set(T, promos: np.ndarray, L, out: np.ndarray, work: np.ndarray) -> None:
    """Amounts of ``promos`` (rank order) applied one after another: ``out`` is (len(promos), n).

    ``work``: (WORK_ROWS, n) int64 scratch."""
    n = L[4].shape[0]
    done = work[2]
    done[:] = 0
    for k in range(promos.shape[0]):
        apply_promo(T, promos[k], L, done, out[k], work)
        for i in range(n):
            done[i] += out[k, i]


@jit_inline
def _untouched(reach: np.ndarray, done: np.ndarray, n: int) -> bool:
    """Whether none of the lines a promotion reaches was discounted by an earlier one: then its
    amounts are exactly its ``alone`` row (its base and clamp read only those lines)."""
    for i in range(n):
        if reach[i] and done[i] != 0:
            return False
    return True


@jit
def set_saving(T, promos: np.ndarray, alive: np.ndarray, L, alone: np.ndarray, reach: np.ndarray,
               work: np.ndarray) -> int:
    """Total discount of applying ``promos[alive]`` (rank order) with stacking (no allocation).

    ``alone`` (m, n) int64: each promotion's amounts alone on gross; ``reach`` (m, n) bool: the
    lines it may read or discount (kernels.actions.action_reach). A promotion none of whose reached
    lines was discounted by an earlier one computes exactly as alone (its base and clamp only read
    those lines), so its row is reused instead of applied again: in a large set most promotions
    sit on lines of their own.
    """
    n = L[4].shape[0]
    done = work[2]
    row = work[3]
    done[:] = 0
    total = 0
    for k in range(promos.shape[0]):
        if not alive[k]:
            continue
        if _untouched(reach[k], done, n):
            for i in range(n):
                done[i] += alone[k, i]
                total += alone[k, i]
        else:
            apply_promo(T, promos[k], L, done, row, work)
            for i in range(n):
                done[i] += row[i]
                total += row[i]
    return total


@jit
def apply_reusing(T, promos: np.ndarray, alive: np.ndarray, L, alone: np.ndarray, reach: np.ndarray,
                  out: np.ndarray, work: np.ndarray) -> None:
    """apply_set of ``promos[alive]``, reusing each promotion's ``alone`` row where set_saving does
    (none of its reached lines discounted before it): ``out`` has a row per alive promotion."""
    n = L[4].shape[0]
    done = work[2]
    done[:] = 0
    r = 0
    for k in range(promos.shape[0]):
        if not alive[k]:
            continue
        if _untouched(reach[k], done, n):
            out[r] = alone[k]
        else:
            apply_promo(T, promos[k], L, done, out[r], work)
        for i in range(n):
            done[i] += out[r, i]
        r += 1
