"""Eligibility kernels: time windows and every condition of a promotion on a part.

``T`` is the packed set (kernels.packed); set membership is kernels.packed.in_set.
"""
from __future__ import annotations

import numpy as np

from kernels.config import jit, jit_inline
from kernels.layout import (
    CTX_INCLUDE_INACTIVE, CTX_MINUTE, CTX_POS_GROUP, CTX_TIME_US, CTX_WEEKDAY, ELIGIBLE, INELIGIBLE, NEARLY,
    P_ACTIVE, P_COUPON_SET, P_CTX_END, P_CTX_OFF, P_FROM_US, P_HAS_ARTICLE, P_HAS_FROM, P_HAS_TO,
    P_MIN_MILLI, P_POS_SET, P_QUAL_ART_SET, P_QUAL_GRP_SET, P_SPEND_END, P_SPEND_OFF, P_TIME_END,
    P_TIME_OFF, P_TO_US, P_WIN_DAYS, P_WIN_FROM, P_WIN_TO, S_CENTS, S_RECEIPT, W_DAYS, W_FROM, W_TO,
    X_FIELD, X_SET,
)
from kernels.lines import BY_ART, BY_GROUP, L_MASKS, any_line, mark_lines
from kernels.packed import ctxc_row, in_set, matches_any, promo_row, spend_row, timec_row

__all__ = ["context_ok", "coupon_code", "in_set", "in_window", "line_verdict", "matches_any"]


@jit
def in_window(days: int, from_min: int, to_min: int, weekday: int, minute: int) -> bool:
    """Local weekday/minute within a window (days as weekday bits; [from, to), may cross midnight)."""
    if (days >> (weekday - 1)) & 1 == 0:
        return False
    if from_min <= to_min:
        return from_min <= minute < to_min
    return minute >= from_min or minute < to_min


@jit
def coupon_code(T: np.ndarray, p: int, code_types: np.ndarray) -> int:
    """Index of the first presented usable code unlocking ``p`` (-1: none, or not coupon-gated).

    ``code_types[k]`` is the interned coupon type of presented code k when it is usable, else -1.
    """
    s = T[promo_row(T, p) + P_COUPON_SET]
    if s < 0:
        return -1
    for k in range(code_types.shape[0]):
        if in_set(T, s, code_types[k]):
            return k
    return -1


@jit_inline
def context_ok(T: np.ndarray, p: int, ctx: np.ndarray, code_types: np.ndarray, exhausted: np.ndarray) -> bool:
    """Every condition that does not depend on the lines: status, validity, posGroups, budget,
    context, coupon, time."""
    row = promo_row(T, p)
    if T[row + P_ACTIVE] == 0 and ctx[CTX_INCLUDE_INACTIVE] == 0:
        return False
    t = ctx[CTX_TIME_US]
    if (T[row + P_HAS_FROM] != 0 and t < T[row + P_FROM_US]) or (T[row + P_HAS_TO] != 0 and t > T[row + P_TO_US]):
        return False
    wd = ctx[CTX_WEEKDAY]
    mi = ctx[CTX_MINUTE]
    if T[row + P_WIN_DAYS] >= 0 and not in_window(T[row + P_WIN_DAYS], T[row + P_WIN_FROM], T[row + P_WIN_TO],
                                                  wd, mi):
        return False
    if T[row + P_POS_SET] >= 0 and not in_set(T, T[row + P_POS_SET], ctx[CTX_POS_GROUP]):
        return False
    if exhausted[p]:
        return False
    for c in range(T[row + P_CTX_OFF], T[row + P_CTX_END]):
        x = ctxc_row(T, c)
        if not in_set(T, T[x + X_SET], ctx[T[x + X_FIELD]]):
            return False
    if T[row + P_COUPON_SET] >= 0 and coupon_code(T, p, code_types) < 0:
        return False
    for c in range(T[row + P_TIME_OFF], T[row + P_TIME_END]):
        w = timec_row(T, c)
        if not in_window(T[w + W_DAYS], T[w + W_FROM], T[w + W_TO], wd, mi):
            return False
    return True


@jit_inline
def line_verdict(T: np.ndarray, p: int, L, out: np.ndarray) -> int:
    """The article, MIN_QUANTITY and MIN_SPEND conditions of ``p`` on a part's lines.

    Args: L: the part (kernels.lines; quantities and amounts positive).
    Writes ``out[0]`` = missing amount (cents), ``out[1]`` = missing quantity (thousandths).
    Returns ELIGIBLE, NEARLY (only MIN_* fail) or INELIGIBLE (no qualifying line).
    A line qualifies when it matches any article condition (every line when there is none): its
    article is in the ARTICLE values or its group in the ARTICLE_GROUP values.
    """
    row = promo_row(T, p)
    has_article = T[row + P_HAS_ARTICLE] != 0
    out[0] = 0
    out[1] = 0
    if T[row + P_MIN_MILLI] < 0 and T[row + P_SPEND_END] == T[row + P_SPEND_OFF]:
        # No MIN_* threshold (most promotions): only whether a line qualifies matters, asked without
        # marking the part's lines or summing them (stops at the first qualifying line).
        if not has_article or any_line(T, T[row + P_QUAL_ART_SET], L, BY_ART) or \
                any_line(T, T[row + P_QUAL_GRP_SET], L, BY_GROUP):
            return ELIGIBLE
        return INELIGIBLE
    milli, gross = L[2], L[4]
    n = milli.shape[0]
    qual = L[L_MASKS][0]
    qual[:] = not has_article
    if has_article:
        mark_lines(T, T[row + P_QUAL_ART_SET], L, BY_ART, qual)
        mark_lines(T, T[row + P_QUAL_GRP_SET], L, BY_GROUP, qual)
    q_milli = 0
    q_gross = 0
    all_gross = 0
    any_qual = False
    for i in range(n):
        all_gross += gross[i]
        if qual[i]:
            any_qual = True
            q_milli += milli[i]
            q_gross += gross[i]
    if has_article and not any_qual:
        return INELIGIBLE
    failed = False
    min_milli = T[row + P_MIN_MILLI]
    if min_milli >= 0 and q_milli < min_milli:
        failed = True
        out[1] = min_milli - q_milli
    for s in range(T[row + P_SPEND_OFF], T[row + P_SPEND_END]):
        r = spend_row(T, s)
        spent = all_gross if T[r + S_RECEIPT] != 0 else q_gross
        if spent < T[r + S_CENTS]:
            failed = True
            out[0] = max(out[0], T[r + S_CENTS] - spent)
    return NEARLY if failed else ELIGIBLE
