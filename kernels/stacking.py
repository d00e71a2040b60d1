"""Applying promotions to a part in order, with clamping (twin of dre.evaluate.apply)."""
from __future__ import annotations

import numpy as np

from kernels.actions import action_reach, run_action
from kernels.config import jit
from kernels.layout import P_ACT_END, P_ACT_OFF, P_MULTIPLICATIVE, P_ROUND_MODE, P_ROUND_STEP
from kernels.packed import promo_row


@jit
def apply_promo(T, p: int, L, done: np.ndarray, out: np.ndarray) -> None:
    """Clamped per-line amounts of promotion ``p`` on top of ``done`` (what earlier ones took).

    Args: L: the part (see kernels.actions); done, out: (n,) int64. ADDITIVE promotions compute on
    the gross, MULTIPLICATIVE ones on what is left (including their own earlier actions). Each
    amount is clamped to what is left of the line, so no line goes below 0.
    """
    gross = L[4]
    n = gross.shape[0]
    row = promo_row(T, p)
    mode = T[row + P_ROUND_MODE]
    step = T[row + P_ROUND_STEP]
    mult = T[row + P_MULTIPLICATIVE] != 0
    out[:] = 0
    basis = np.zeros(n, dtype=np.int64)
    raw = np.empty(n, dtype=np.int64)
    for a in range(T[row + P_ACT_OFF], T[row + P_ACT_END]):
        if mult:
            for i in range(n):
                basis[i] = done[i] + out[i]
        run_action(T, a, L, basis, mode, step, raw)
        for i in range(n):
            out[i] += max(0, min(raw[i], gross[i] - done[i] - out[i]))


@jit
def apply_set(T, promos: np.ndarray, L, out: np.ndarray) -> None:
    """Amounts of ``promos`` (rank order) applied one after another: ``out`` is (len(promos), n)."""
    n = L[4].shape[0]
    done = np.zeros(n, dtype=np.int64)
    for k in range(promos.shape[0]):
        apply_promo(T, promos[k], L, done, out[k])
        done += out[k]


@jit
def set_saving(T, promos: np.ndarray, L) -> int:
    """Total discount of applying ``promos`` (rank order) with stacking."""
    out = np.empty((promos.shape[0], L[4].shape[0]), dtype=np.int64)
    apply_set(T, promos, L, out)
    return out.sum()


@jit
def promo_reach(T, p: int, L, out: np.ndarray) -> None:
    """``out[i]`` True for every line some price action of ``p`` may read or discount."""
    out[:] = False
    row = promo_row(T, p)
    for a in range(T[row + P_ACT_OFF], T[row + P_ACT_END]):
        action_reach(T, a, L, out)
