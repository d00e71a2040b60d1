"""Batch pricing for simulation: many baskets as flat CSR arrays, one parallel jitted call.

No Python object is built per basket: the result is per-basket per-promotion discount totals (CSR),
total discount, gross and loyalty points.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import prange

from dre.basket import Basket
from dre.pricing.context import Context
from kernels import layout as lo
from kernels.arith import MILLI, round_ratio
from kernels.basket import (
    candidates_bound, index_candidates, price_basket_in, scratch_bools, scratch_ints, sorted_candidates_into,
)
from kernels.borrow import borrowed, keep
from kernels.config import (
    BATCH_SLOTS_PER_BASKET,
    BEST_DEAL_NODE_LIMIT,
    BEST_DEAL_WORK_LIMIT,
    jit,
    parallel_jit,
)
from kernels.encode import code_types, context_vector
from kernels.layout import CTX_POS_GROUP


@jit
def basket_totals(T, art, grp, milli, up, ctx, codes, exhausted, node_limit: int, work_limit: int):
    """One basket's (promotions (k,) rank order, signed totals (k,), points (k,), gross, discount,
    points): per promotion its discount over both parts and the loyalty points it awarded.

    Promotions whose discounts net to 0 over both parts and that award no points are left out.
    """
    cands = index_candidates(T, art, grp, ctx[CTX_POS_GROUP], 0, 1)
    m, n = cands.shape[0], milli.shape[0]
    si = np.empty(totals_ints(m, n), dtype=np.int64)
    sb = np.empty(scratch_bools(m, n), dtype=np.bool_)
    k, gross, discount, points = totals_in(T, cands, art, grp, milli, up, ctx, codes, exhausted, node_limit,
                                           work_limit, borrowed(si), borrowed(sb))
    keep(sb)  # alive through the call (a borrowed view does not hold it)
    base = totals_out(m, n)
    return (si[base:base + k].copy(), si[base + k:base + 2 * k].copy(), si[base + 2 * k:base + 3 * k].copy(),
            gross, discount, points)


@jit
def totals_out(m: int, n: int) -> int:
    """Where totals_in's three output columns start in its int64 scratch."""
    return scratch_ints(m, n) + n


@jit
def totals_ints(m: int, n: int) -> int:
    """int64 scratch of totals_in: price_basket_in's, the gross (n,), three columns of m x n + m rows."""
    return totals_out(m, n) + 3 * (m * n + m)


@jit
def totals_in(T, cands, art, grp, milli, up, ctx, codes, exhausted, node_limit: int, work_limit: int, si, sb):
    """basket_totals of the candidates ``cands`` in caller's scratch (``si`` >= totals_ints(m, n),
    ``sb`` >= scratch_bools(m, n), borrowed views the caller keeps alive): returns (k, gross,
    discount, points), the k promotions, totals and points at ``si[totals_out(m, n):]`` (three
    columns of k)."""
    m, n = cands.shape[0], milli.shape[0]
    g0 = scratch_ints(m, n)
    gross = si[g0:g0 + n]
    gross_sum = 0
    for i in range(n):
        gross[i] = round_ratio(up[i] * milli[i], MILLI, 0, 1)
        gross_sum += gross[i]
    nd, na, points, _, _, _ = price_basket_in(T, cands, art, grp, milli, up, gross, ctx, codes, exhausted, False,
                                              node_limit, work_limit, si, sb)
    disc = si[:4 * nd].reshape((nd, 4))
    applied = si[4 * m * n:4 * m * n + 5 * na].reshape((na, 5))
    rows = nd + na
    base = g0 + n
    out_p = si[base:base + rows]
    out_a = si[base + rows:base + 2 * rows]
    out_q = si[base + 2 * rows:base + 3 * rows]
    # Per promotion (ascending rank) its discounts and points, kept sorted by insertion: the rows
    # come nearly in rank order (a part's discounts by promotion, then the applied rows), so an
    # insertion rarely moves anything, where an argsort allocated and sorted every basket's rows.
    k = 0
    for r in range(rows):
        p = disc[r, 1] if r < nd else applied[r - nd, 0]
        j = k
        while j > 0 and out_p[j - 1] > p:
            j -= 1
        if j == 0 or out_p[j - 1] != p:
            for t in range(k, j, -1):
                out_p[t] = out_p[t - 1]
                out_a[t] = out_a[t - 1]
                out_q[t] = out_q[t - 1]
            out_p[j] = p
            out_a[j] = 0
            out_q[j] = 0
            k += 1
            j += 1
        if r < nd:
            out_a[j - 1] += disc[r, 2]
        else:
            out_q[j - 1] += applied[r - nd, 2]
    # kept ones to the front of the three columns at totals_out (where the columns of k start)
    w = 0
    for j in range(k):
        if out_a[j] != 0 or out_q[j] != 0:
            out_p[w] = out_p[j]
            out_a[w] = out_a[j]
            out_q[w] = out_q[j]
            w += 1
    for j in range(w):
        si[base + w + j] = out_a[j]
    for j in range(w):
        si[base + 2 * w + j] = out_q[j]
    discount = 0
    for r in range(nd):
        discount += disc[r, 2]
    return w, gross_sum, discount, points


@jit
def _compact(count, slots: int, promo, amount, pts):
    """The kept slots of every basket, in basket order: (promo, amount, points) flat arrays."""
    total = 0
    for b in range(count.shape[0]):
        total += min(count[b], slots)
    fp = np.empty(total, dtype=np.int64)
    fa = np.empty(total, dtype=np.int64)
    fq = np.empty(total, dtype=np.int64)
    k = 0
    for b in range(count.shape[0]):
        base = b * slots
        for j in range(min(count[b], slots)):
            fp[k] = promo[base + j]
            fa[k] = amount[base + j]
            fq[k] = pts[base + j]
            k += 1
    return fp, fa, fq


# Baskets per prange iteration: each chunk allocates its scratch once and reuses it basket after
# basket (a basket's own arrays were ~8 % of the batch's CPU in malloc/free).
BATCH_CHUNK = 64


@parallel_jit
def _price_batch(T, off, art, grp, milli, up, ctx, code_off, codes, exhausted, node_limit: int, work_limit: int,
                 slots: int, out_count, out_promo, out_amount, out_points, out):
    """prange over chunks of BATCH_CHUNK baskets; per basket at most ``slots`` totals land in its
    slice of out_promo / out_amount / out_points, ``out_count[b]`` holds the true count (the wrapper
    redoes baskets over the bound). ``out`` is (B, 3): gross, discount, points."""
    n_b = off.shape[0] - 1
    n_chunks = (n_b + BATCH_CHUNK - 1) // BATCH_CHUNK
    for c in prange(n_chunks):
        si = np.empty(0, dtype=np.int64)  # grown to the chunk's largest basket, reused
        sb = np.empty(0, dtype=np.bool_)
        cb = np.empty(0, dtype=np.int64)  # the index candidates
        for b in range(c * BATCH_CHUNK, min(n_b, (c + 1) * BATCH_CHUNK)):
            s, e = off[b], off[b + 1]
            b_art, b_grp = borrowed(art[s:e]), borrowed(grp[s:e])
            b_milli, b_up = borrowed(milli[s:e]), borrowed(up[s:e])
            b_ctx, b_codes = borrowed(ctx[b]), borrowed(codes[code_off[b]:code_off[b + 1]])
            pos_group = b_ctx[CTX_POS_GROUP]
            bound = candidates_bound(T, b_art, b_grp, pos_group)
            if bound > cb.shape[0]:
                cb = np.empty(max(bound, 2 * cb.shape[0]), dtype=np.int64)
            cands = borrowed(cb)[:sorted_candidates_into(T, b_art, b_grp, pos_group, borrowed(cb))]
            m, n = cands.shape[0], e - s
            if totals_ints(m, n) > si.shape[0]:
                si = np.empty(max(totals_ints(m, n), 2 * si.shape[0]), dtype=np.int64)
            if scratch_bools(m, n) > sb.shape[0]:
                sb = np.empty(max(scratch_bools(m, n), 2 * sb.shape[0]), dtype=np.bool_)
            k, gross, discount, points = totals_in(T, cands, b_art, b_grp, b_milli, b_up, b_ctx, b_codes, exhausted,
                                                   node_limit, work_limit, borrowed(si), borrowed(sb))
            base = totals_out(m, n)
            out_count[b] = k
            mk = min(k, slots)
            for j in range(mk):
                out_promo[b * slots + j] = si[base + j]
                out_amount[b * slots + j] = si[base + k + j]
                out_points[b * slots + j] = si[base + 2 * k + j]
            out[b, 0] = gross
            out[b, 1] = discount
            out[b, 2] = points
            keep(cb)
            keep(si)
            keep(sb)


@dataclass(frozen=True)
class BatchResult:
    """Per-basket results. ``promo_off`` (B + 1,) CSR over ``promo`` / ``amount`` / ``promo_points``
    (k,) int64: rank indices (KernelSet.ranked), signed discount totals (cents) and the loyalty
    points each awarded (an entry per promotion with a discount or points); gross, discount,
    points: (B,)."""

    promo_off: np.ndarray
    promo: np.ndarray
    amount: np.ndarray
    promo_points: np.ndarray
    gross: np.ndarray
    discount: np.ndarray
    points: np.ndarray


def _i64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def price_batch(tables: lo.Tables, basket_off: np.ndarray, art: np.ndarray, grp: np.ndarray, milli: np.ndarray,
                unit_price: np.ndarray, ctx: np.ndarray, code_off: np.ndarray | None = None,
                code_types: np.ndarray | None = None, exhausted: np.ndarray | None = None) -> BatchResult:
    """Price B baskets in one parallel call.

    Args:
        tables: ``KernelSet.tables`` (or ``compile_promotions(...).tables``).
        basket_off: (B + 1,) line offsets; basket b is lines ``basket_off[b]:basket_off[b + 1]``.
        art, grp: (N,) interned article / group ids (-1 unknown); milli: (N,) signed quantity in
            thousandths (negative: return); unit_price: (N,) cents.
        ctx: (B, CTX_COLS) context vectors (kernels.layout CTX_*).
        code_off, code_types: optional CSR (B + 1,), (C,) of each presented code's usable coupon type.
        exhausted: optional (P,) bool budgets used up.
    """
    off = _i64(basket_off)
    n_b = off.shape[0] - 1
    art, grp, milli, unit_price = _i64(art), _i64(grp), _i64(milli), _i64(unit_price)
    if not (art.shape == grp.shape == milli.shape == unit_price.shape == (off[-1],)):
        raise ValueError("line arrays must all have basket_off[-1] entries")
    ctx = _i64(ctx)
    if ctx.shape != (n_b, lo.CTX_COLS):
        raise ValueError(f"ctx must be ({n_b}, {lo.CTX_COLS})")
    code_off = np.zeros(n_b + 1, dtype=np.int64) if code_off is None else _i64(code_off)
    codes = np.empty(0, dtype=np.int64) if code_types is None else _i64(code_types)
    n_p = tables.promo.shape[0]
    T = tables.flat
    exhausted = np.zeros(n_p, dtype=np.bool_) if exhausted is None else np.ascontiguousarray(exhausted, dtype=np.bool_)
    slots = BATCH_SLOTS_PER_BASKET
    count = np.zeros(n_b, dtype=np.int64)
    promo = np.empty(n_b * slots, dtype=np.int64)
    amount = np.empty(n_b * slots, dtype=np.int64)
    pts = np.empty(n_b * slots, dtype=np.int64)
    out = np.empty((n_b, 3), dtype=np.int64)
    _price_batch(T, off, art, grp, milli, unit_price, ctx, code_off, codes, exhausted,
                 BEST_DEAL_NODE_LIMIT, BEST_DEAL_WORK_LIMIT, slots, count, promo, amount, pts, out)
    promo_off = np.zeros(n_b + 1, dtype=np.int64)
    np.cumsum(count, out=promo_off[1:])
    flat_p, flat_a, flat_q = _compact(count, slots, promo, amount, pts)  # numpy masks cost ~5 % of the batch
    over = np.nonzero(count > slots)[0]
    if over.size:  # rare: more promotions than slots; redo those baskets one by one
        cuts = np.cumsum(np.minimum(count, slots))[:-1]
        parts_p, parts_a, parts_q = np.split(flat_p, cuts), np.split(flat_a, cuts), np.split(flat_q, cuts)
        for b in over:
            s, e = off[b], off[b + 1]
            p, a, q, *_ = basket_totals(T, art[s:e], grp[s:e], milli[s:e], unit_price[s:e], ctx[b],
                                        codes[code_off[b]:code_off[b + 1]], exhausted, BEST_DEAL_NODE_LIMIT,
                                        BEST_DEAL_WORK_LIMIT)
            parts_p[b], parts_a[b], parts_q[b] = p, a, q
        flat_p, flat_a, flat_q = np.concatenate(parts_p), np.concatenate(parts_a), np.concatenate(parts_q)
    return BatchResult(promo_off, flat_p, flat_a, flat_q, out[:, 0].copy(), out[:, 1].copy(), out[:, 2].copy())


def encode_batch(kset, baskets: Sequence[Basket], ctxs: Sequence[Context]) -> dict[str, np.ndarray]:
    """Flat batch arrays (the keyword arguments of price_batch, minus tables) from Basket objects.

    Quantities and prices are taken from the lines; gross is recomputed by the kernel (unitPrice x
    quantity, HALF_UP), as basket_from_request computes it.
    """
    vocab = kset.compiled.vocab
    get = vocab.ids.get
    lines = [ln for b in baskets for ln in b.lines]
    off = np.zeros(len(baskets) + 1, dtype=np.int64)
    np.cumsum([len(b.lines) for b in baskets], out=off[1:])
    codes = [code_types(vocab, b, c) for b, c in zip(baskets, ctxs)]
    code_off = np.zeros(len(baskets) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in codes], out=code_off[1:])
    return {
        "basket_off": off,
        "art": np.array([get(ln.article, -1) for ln in lines], dtype=np.int64),
        "grp": np.array([get(ln.group, -1) for ln in lines], dtype=np.int64),
        "milli": np.array([ln.milli for ln in lines], dtype=np.int64),
        "unit_price": np.array([ln.unit_price for ln in lines], dtype=np.int64),
        "ctx": np.array([context_vector(vocab, b) for b in baskets], dtype=np.int64).reshape(len(baskets), lo.CTX_COLS),
        "code_off": code_off,
        "code_types": np.concatenate(codes) if codes else np.empty(0, dtype=np.int64),
    }
