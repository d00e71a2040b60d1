"""Eligibility kernels: set membership, time windows and every condition of a promotion on a part."""
from __future__ import annotations

import numpy as np

from kernels.config import jit, jit_inline
from kernels.layout import (
    CTX_INCLUDE_INACTIVE, CTX_MINUTE, CTX_TIME_US, CTX_WEEKDAY, ELIGIBLE, INELIGIBLE, NEARLY,
    P_ACTIVE, P_COUPON_SET, P_CTX_END, P_CTX_OFF, P_FROM_US, P_HAS_ARTICLE, P_HAS_FROM, P_HAS_TO,
    P_MIN_MILLI, P_POS_SET, P_QUAL_ART_SET, P_QUAL_GRP_SET, P_SPEND_END, P_SPEND_OFF, P_TIME_END,
    P_TIME_OFF, P_TO_US, P_WIN_DAYS, P_WIN_FROM, P_WIN_TO, S_CENTS, S_RECEIPT, W_DAYS, W_FROM, W_TO,
    X_FIELD, X_SET, CTX_POS_GROUP,
)


@jit
def in_set(set_off: np.ndarray, set_vals: np.ndarray, s: int, x: int) -> bool:
    """Is interned id ``x`` in set ``s``? (-1 set or -1 id: no.) Binary search over sorted values."""
    if s < 0 or x < 0:
        return False
    lo = set_off[s]
    hi = set_off[s + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        v = set_vals[mid]
        if v < x:
            lo = mid + 1
        elif v > x:
            hi = mid
        else:
            return True
    return False


@jit
def matches_any(set_off: np.ndarray, set_vals: np.ndarray, s: int, art: int, grp: int) -> bool:
    """QUANTITY_TIER, BUNDLE, FREE_ITEM, MULTIPLY_POINTS: article number or group listed.

    Hot per-line helpers take the two set arrays rather than the whole table tuple: passing the
    15-array tuple into a call that is not inlined costs ~0.3 us of reference counting.
    """
    return in_set(set_off, set_vals, s, art) or in_set(set_off, set_vals, s, grp)


@jit
def in_window(days: int, from_min: int, to_min: int, weekday: int, minute: int) -> bool:
    """Local weekday/minute within a window (days as weekday bits; [from, to), may cross midnight)."""
    if (days >> (weekday - 1)) & 1 == 0:
        return False
    if from_min <= to_min:
        return from_min <= minute < to_min
    return minute >= from_min or minute < to_min


@jit
def coupon_code(T, p: int, code_types: np.ndarray) -> int:
    """Index of the first presented usable code unlocking ``p`` (-1: none, or not coupon-gated).

    ``code_types[k]`` is the interned coupon type of presented code k when it is usable, else -1.
    """
    s = T.promo[p, P_COUPON_SET]
    if s < 0:
        return -1
    for k in range(code_types.shape[0]):
        if in_set(T.set_off, T.set_vals, s, code_types[k]):
            return k
    return -1


@jit_inline
def context_ok(T, p: int, ctx: np.ndarray, code_types: np.ndarray, exhausted: np.ndarray) -> bool:
    """Every condition that does not depend on the lines: status, validity, posGroups, budget,
    context, coupon, time."""
    row = T.promo[p]
    if row[P_ACTIVE] == 0 and ctx[CTX_INCLUDE_INACTIVE] == 0:
        return False
    t = ctx[CTX_TIME_US]
    if (row[P_HAS_FROM] != 0 and t < row[P_FROM_US]) or (row[P_HAS_TO] != 0 and t > row[P_TO_US]):
        return False
    wd = ctx[CTX_WEEKDAY]
    mi = ctx[CTX_MINUTE]
    if row[P_WIN_DAYS] >= 0 and not in_window(row[P_WIN_DAYS], row[P_WIN_FROM], row[P_WIN_TO], wd, mi):
        return False
    if row[P_POS_SET] >= 0 and not in_set(T.set_off, T.set_vals, row[P_POS_SET], ctx[CTX_POS_GROUP]):
        return False
    if exhausted[p]:
        return False
    for c in range(row[P_CTX_OFF], row[P_CTX_END]):
        if not in_set(T.set_off, T.set_vals, T.ctxc[c, X_SET], ctx[T.ctxc[c, X_FIELD]]):
            return False
    if row[P_COUPON_SET] >= 0 and coupon_code(T, p, code_types) < 0:
        return False
    for c in range(row[P_TIME_OFF], row[P_TIME_END]):
        if not in_window(T.timec[c, W_DAYS], T.timec[c, W_FROM], T.timec[c, W_TO], wd, mi):
            return False
    return True


@jit
def qualifies(set_off: np.ndarray, set_vals: np.ndarray, has_article: int, art_set: int, grp_set: int,
              art: int, grp: int) -> bool:
    """A line qualifies when it matches any article condition (every line when there is none)."""
    if has_article == 0:
        return True
    return in_set(set_off, set_vals, art_set, art) or in_set(set_off, set_vals, grp_set, grp)


@jit_inline
def line_verdict(T, p: int, art: np.ndarray, grp: np.ndarray, milli: np.ndarray, gross: np.ndarray,
                 out: np.ndarray) -> int:
    """The article, MIN_QUANTITY and MIN_SPEND conditions of ``p`` on a part's lines.

    Args: art, grp, milli, gross: (n,) int64 part lines (quantities and amounts positive).
    Writes ``out[0]`` = missing amount (cents), ``out[1]`` = missing quantity (thousandths).
    Returns ELIGIBLE, NEARLY (only MIN_* fail) or INELIGIBLE (no qualifying line).
    """
    row = T.promo[p]
    so, sv = T.set_off, T.set_vals
    has_article, art_set, grp_set = row[P_HAS_ARTICLE], row[P_QUAL_ART_SET], row[P_QUAL_GRP_SET]
    n = art.shape[0]
    q_milli = 0
    q_gross = 0
    all_gross = 0
    any_qual = False
    for i in range(n):
        all_gross += gross[i]
        if qualifies(so, sv, has_article, art_set, grp_set, art[i], grp[i]):
            any_qual = True
            q_milli += milli[i]
            q_gross += gross[i]
    out[0] = 0
    out[1] = 0
    if row[P_HAS_ARTICLE] != 0 and not any_qual:
        return INELIGIBLE
    failed = False
    if row[P_MIN_MILLI] >= 0 and q_milli < row[P_MIN_MILLI]:
        failed = True
        out[1] = row[P_MIN_MILLI] - q_milli
    for s in range(row[P_SPEND_OFF], row[P_SPEND_END]):
        spent = all_gross if T.spend[s, S_RECEIPT] != 0 else q_gross
        if spent < T.spend[s, S_CENTS]:
            failed = True
            out[0] = max(out[0], T.spend[s, S_CENTS] - spent)
    return NEARLY if failed else ELIGIBLE
