"""One kernel per price action: a part's lines and their bases -> unclamped per-line amounts.

Twins of dre.evaluate.actions. A part is passed as the tuple L of
kernels.lines: interned article and group ids, positive quantity (thousandths) and gross (cents),
``order``, the line positions dearest gross unit price first (ties: line order), and the lookup that
says which lines a set matches (kernels.lines.matching). ``basis[i]`` is what earlier steps took off line i
(zeros for ADDITIVE promotions). Every kernel writes all n entries of ``out``. ``T`` is the packed
set (kernels.packed) and ``a`` a row of its action table.
"""
from __future__ import annotations

import numpy as np

from dre.promotion.model import AMT, FIX, PCT
from kernels.arith import MILLI, allocate, allocate_into, per_unit_amount, pooled_amount, unit_value
from kernels.config import jit, jit_inline
from kernels.lines import BY_ART, BY_EITHER, BY_GROUP, L_ROWS, mark_lines, matching
from kernels.packed import act_row, comp_row, tier_row
from kernels.layout import (
    A_BUY_QTY, A_BY_GROUP, A_CALC_KIND, A_CALC_VALUE, A_COMP_END, A_COMP_OFF, A_GET_QTY, A_GET_SET,
    A_KIND, A_MAX_MILLI, A_SET, A_TIER_END, A_TIER_OFF, ACT_BUNDLE, ACT_GIFT, ACT_QTIER, ACT_RECEIPT,
    ACT_SCALED, ACT_UNIT, C_QTY, C_SET, T_CALC_KIND, T_CALC_VALUE, T_MIN,
)


@jit_inline
def unit_action(T, a: int, L, basis: np.ndarray, mode: int, step: int, out: np.ndarray) -> None:
    """ARTICLE / ARTICLE_GROUP: per-unit discount; maxQuantity takes the dearest units first."""
    milli, up, order = L[2], L[3], L[5]
    r = act_row(T, a)
    kind = T[r + A_CALC_KIND]
    value = T[r + A_CALC_VALUE]
    left = T[r + A_MAX_MILLI]
    match = matching(T, T[r + A_SET], L, BY_GROUP if T[r + A_BY_GROUP] != 0 else BY_ART)
    out[:] = 0
    if left < 0:
        for i in range(milli.shape[0]):
            if match[i]:
                out[i] = per_unit_amount(kind, value, up[i], milli[i], basis[i], milli[i], mode, step)
        return
    for k in range(order.shape[0]):
        if left <= 0:
            break
        i = order[k]
        if match[i]:
            take = min(milli[i], left)
            left -= take
            out[i] = per_unit_amount(kind, value, up[i], milli[i], basis[i], take, mode, step)


@jit_inline
def plain_unit(T, a: int) -> bool:
    """Is action ``a`` a unit action without maxQuantity (its lines priced independently)?"""
    r = act_row(T, a)
    return T[r + A_KIND] == ACT_UNIT and T[r + A_MAX_MILLI] < 0


@jit
def spread(kind: int, value: int, L, basis: np.ndarray, mode: int, step: int, out: np.ndarray) -> None:
    """An amount on the whole part, split over its lines in proportion to their bases."""
    gross = L[4]
    base = L[L_ROWS][0]  # the part's int64 scratch rows: a spread allocates nothing
    total = 0
    for i in range(gross.shape[0]):
        base[i] = gross[i] - basis[i]
        total += base[i]
    allocate_into(pooled_amount(kind, value, total, mode, step), base, out, L[L_ROWS][1])


@jit
def reached_tier(T, a: int, total: int) -> int:
    """Row of the highest tier whose minimum ``total`` reaches (tiers ascending), -1 if none."""
    best = -1
    r = act_row(T, a)
    for t in range(T[r + A_TIER_OFF], T[r + A_TIER_END]):
        if T[tier_row(T, t) + T_MIN] <= total:
            best = t
    return best


@jit
def scaled_receipt_action(T, a: int, L, basis: np.ndarray, mode: int, step: int, out: np.ndarray) -> None:
    """SCALED_RECEIPT: the highest tier whose minSpend the part's gross reaches, then as RECEIPT."""
    t = reached_tier(T, a, L[4].sum())
    if t < 0:
        out[:] = 0
        return
    tr = tier_row(T, t)
    spread(T[tr + T_CALC_KIND], T[tr + T_CALC_VALUE], L, basis, mode, step, out)


@jit
def quantity_tier_action(T, a: int, L, basis: np.ndarray, mode: int, step: int, out: np.ndarray) -> None:
    """QUANTITY_TIER: the highest tier reached by the matching quantity, on every matching unit."""
    milli, up = L[2], L[3]
    match = matching(T, T[act_row(T, a) + A_SET], L, BY_EITHER)
    n = milli.shape[0]
    total = 0
    for i in range(n):
        if match[i]:
            total += milli[i]
    out[:] = 0
    t = reached_tier(T, a, total)
    if t < 0:
        return
    tr = tier_row(T, t)
    kind = T[tr + T_CALC_KIND]
    value = T[tr + T_CALC_VALUE]
    for i in range(n):
        if match[i]:
            out[i] = per_unit_amount(kind, value, up[i], milli[i], basis[i], milli[i], mode, step)


@jit
def _take(left: np.ndarray, order: np.ndarray, match: np.ndarray, n_units: int, taken: np.ndarray,
          cheapest: bool = False) -> bool:
    """Take the first ``n_units`` whole units (dearest first; the last ones with ``cheapest``) of
    lines with ``match`` from ``left``.

    Units of one line are adjacent in the dearest-first unit pool, so taking the first n matching
    units of the pool is taking from matching lines in ``order`` (the last n: in reverse ``order``,
    ties the later line). Adds to ``taken``; False (with ``left``/``taken`` partly changed) when
    too few units match.
    """
    need = n_units
    n = order.shape[0]
    for j in range(n):
        if need == 0:
            break
        i = order[n - 1 - j] if cheapest else order[j]
        if match[i] and left[i] > 0:
            t = min(left[i], need)
            left[i] -= t
            taken[i] += t
            need -= t
    return need == 0


@jit
def bundle_action(T, a: int, L, basis: np.ndarray, mode: int, step: int, out: np.ndarray) -> None:
    """BUNDLE: complete bundles filled with the dearest matching units; the amount split by value."""
    milli, gross, order = L[2], L[4], L[5]
    n = milli.shape[0]
    r = act_row(T, a)
    c0 = T[r + A_COMP_OFF]
    n_comp = T[r + A_COMP_END] - c0
    match = np.zeros((n_comp, n), dtype=np.bool_)
    for c in range(n_comp):
        mark_lines(T, T[comp_row(T, c0 + c) + C_SET], L, BY_EITHER, match[c])
    value = np.empty(n, dtype=np.int64)
    pool = np.empty(n, dtype=np.int64)
    for i in range(n):
        value[i] = unit_value(gross[i] - basis[i], milli[i])
        pool[i] = milli[i] // MILLI
    kind = T[r + A_CALC_KIND]
    price = T[r + A_CALC_VALUE]
    taken = np.zeros(n, dtype=np.int64)
    trial = np.empty(n, dtype=np.int64)
    got = np.empty(n, dtype=np.int64)
    amount = 0
    covered_total = 0
    while True:
        trial[:] = pool
        got[:] = 0
        complete = True
        for c in range(n_comp):
            if not _take(trial, order, match[c], T[comp_row(T, c0 + c) + C_QTY], got):
                complete = False
                break
        if not complete:
            break
        pool[:] = trial
        b = 0
        for i in range(n):
            taken[i] += got[i]
            b += got[i] * value[i]
        covered_total += b
        if kind == FIX:
            amount += max(0, b - price)
        elif kind == AMT:
            amount += min(price, b)
    if kind == PCT:
        amount = pooled_amount(kind, price, covered_total, mode, step)
    out[:] = 0
    if amount != 0:
        allocate(amount, taken * value, out)


@jit
def gift_action(T, a: int, L, basis: np.ndarray, mode: int, step: int, out: np.ndarray) -> None:
    """FREE_ITEM GIFT, buy N get M: repeatedly the N dearest buy units, then M get units discounted:
    the next dearest when buy and get are one set (compiled as the same set row), else the cheapest."""
    milli, up, order = L[2], L[3], L[5]
    n = milli.shape[0]
    buy = np.zeros(n, dtype=np.bool_)
    get = np.zeros(n, dtype=np.bool_)
    pool = np.empty(n, dtype=np.int64)
    r = act_row(T, a)
    s_buy, s_get = T[r + A_SET], T[r + A_GET_SET]
    mark_lines(T, s_buy, L, BY_EITHER, buy)
    mark_lines(T, s_get, L, BY_EITHER, get)
    for i in range(n):
        pool[i] = milli[i] // MILLI if (buy[i] or get[i]) else 0
    sink = np.zeros(n, dtype=np.int64)
    got = np.zeros(n, dtype=np.int64)
    gifts = np.zeros(n, dtype=np.int64)
    same = s_buy == s_get
    while _take(pool, order, buy, T[r + A_BUY_QTY], sink):
        got[:] = 0
        if not _take(pool, order, get, T[r + A_GET_QTY], got, not same):
            break  # an incomplete get takes nothing
        gifts += got
    out[:] = 0
    pct = T[r + A_CALC_VALUE]
    for i in range(n):
        if gifts[i] > 0:
            out[i] = per_unit_amount(PCT, pct, up[i], milli[i], basis[i], gifts[i] * MILLI, mode, step)


@jit_inline
def run_action(T, a: int, L, basis: np.ndarray, mode: int, step: int, out: np.ndarray) -> None:
    """Dispatch on the action kind. Inlined (numba IR) into apply_promo, and the unit action (most
    promotions) into it: each call passing the part's tuple of arrays costs more than a unit action
    that discounts a line or two."""
    r = act_row(T, a)
    kind = T[r + A_KIND]
    if kind == ACT_UNIT:
        unit_action(T, a, L, basis, mode, step, out)
    elif kind == ACT_RECEIPT:
        spread(T[r + A_CALC_KIND], T[r + A_CALC_VALUE], L, basis, mode, step, out)
    elif kind == ACT_SCALED:
        scaled_receipt_action(T, a, L, basis, mode, step, out)
    elif kind == ACT_QTIER:
        quantity_tier_action(T, a, L, basis, mode, step, out)
    elif kind == ACT_BUNDLE:
        bundle_action(T, a, L, basis, mode, step, out)
    else:
        gift_action(T, a, L, basis, mode, step, out)


@jit
def action_reach(T, a: int, L, out: np.ndarray) -> None:
    """Mark (``out[i] = True``) every line the action may read or discount in any stacking order.

    Receipt-level actions reach the whole part; the others only lines matching their values. Two
    promotions with disjoint reaches cannot influence each other's amounts, which is what lets
    the best-deal search solve such groups independently.
    """
    r = act_row(T, a)
    kind = T[r + A_KIND]
    if kind == ACT_RECEIPT or kind == ACT_SCALED:
        out[:] = True
    elif kind == ACT_UNIT:
        mark_lines(T, T[r + A_SET], L, BY_GROUP if T[r + A_BY_GROUP] != 0 else BY_ART, out)
    elif kind == ACT_QTIER:
        mark_lines(T, T[r + A_SET], L, BY_EITHER, out)
    elif kind == ACT_GIFT:
        mark_lines(T, T[r + A_GET_SET], L, BY_EITHER, out)
    else:
        for c in range(T[r + A_COMP_OFF], T[r + A_COMP_END]):
            mark_lines(T, T[comp_row(T, c) + C_SET], L, BY_EITHER, out)
