"""One basket: candidate lookup through the index, and pricing of its sale and return parts.

Twin of dre.evaluate.pipeline.evaluate. ``T`` is the packed set (kernels.packed). A basket is (n,) int64 arrays of interned article and group
ids (-1 unknown), signed quantity (thousandths), unit price and signed gross (cents), the context
vector ``ctx`` (kernels.layout CTX_*), ``code_types`` (the interned coupon type of each presented
code when usable, else -1, request order) and ``exhausted`` ((P,) bool, budgets used up).
"""
from __future__ import annotations

import numpy as np

from kernels.best_deal import choose
from kernels.borrow import borrowed, keep
from kernels.conditions import context_ok, coupon_code, line_verdict
from kernels.config import jit
from kernels.layout import (
    CTX_POS_GROUP, ELIGIBLE, H_ART_OFF, H_ART_PROMOS, H_GLOBAL, H_GPOS_OFF, H_GPOS_PROMOS, H_GRP_OFF,
    H_GRP_PROMOS, NEARLY, P_COUPON_SET, P_EXCLUSIVE, P_GRANTS, P_PTS_END, P_PTS_OFF,
)
from kernels.lines import INT_ROWS, MASK_ROWS, look_size, part, part_into
from kernels.loyalty import points
from kernels.packed import promo_row
from kernels.prefetch import prefetch_candidates
from kernels.stacking import WORK_ROWS, apply_promo, apply_reusing, apply_set


@jit
def index_candidates(T, art: np.ndarray, grp: np.ndarray, pos_group: int, shard: int, n_shards: int) -> np.ndarray:
    """Promotions of ``shard`` that can apply to the lines: global promotions (those listing posGroups
    only for a listed ``pos_group``), plus those whose article conditions list a line's article
    (ARTICLE) or group (ARTICLE_GROUP). Sorted, unique."""
    count = candidates_bound(T, art, grp, pos_group)
    buf = np.empty(count, dtype=np.int64)
    k = candidates_into(T, art, grp, pos_group, shard, n_shards, buf)
    return sorted_unique(buf[:k])


@jit
def candidates_bound(T, art: np.ndarray, grp: np.ndarray, pos_group: int) -> int:
    """At least the entries candidates_into writes (every listed promotion, before the shard filter
    and the dedup)."""
    art_off, grp_off = T[H_ART_OFF], T[H_GRP_OFF]
    count = T[H_GLOBAL + 1] - T[H_GLOBAL]
    if pos_group >= 0:
        count += T[T[H_GPOS_OFF] + pos_group + 1] - T[T[H_GPOS_OFF] + pos_group]
    for i in range(art.shape[0]):
        if art[i] >= 0:
            count += T[art_off + art[i] + 1] - T[art_off + art[i]]
        if grp[i] >= 0:
            count += T[grp_off + grp[i] + 1] - T[grp_off + grp[i]]
    return count


@jit
def sorted_candidates_into(T, art: np.ndarray, grp: np.ndarray, pos_group: int, buf: np.ndarray) -> int:
    """index_candidates (one shard) in caller's scratch ``buf`` (>= candidates_bound entries): the
    candidates are ``buf[:returned count]``, sorted and unique."""
    k = candidates_into(T, art, grp, pos_group, 0, 1, buf)
    return unique_in_place(buf[:k])


@jit
def candidates_into(T, art: np.ndarray, grp: np.ndarray, pos_group: int, shard: int, n_shards: int,
                    buf: np.ndarray) -> int:
    """index_candidates' entries of ``shard`` written to ``buf`` unsorted (repeats kept): their count."""
    art_off, art_promos = T[H_ART_OFF], T[H_ART_PROMOS]
    grp_off, grp_promos = T[H_GRP_OFF], T[H_GRP_PROMOS]
    g0 = g1 = 0
    if pos_group >= 0:
        g0 = T[H_GPOS_PROMOS] + T[T[H_GPOS_OFF] + pos_group]
        g1 = T[H_GPOS_PROMOS] + T[T[H_GPOS_OFF] + pos_group + 1]
    k = 0
    for j in range(T[H_GLOBAL], T[H_GLOBAL + 1]):
        p = T[j]
        if p % n_shards == shard:
            buf[k] = p
            k += 1
    for j in range(g0, g1):
        p = T[j]
        if p % n_shards == shard:
            buf[k] = p
            k += 1
    for i in range(art.shape[0]):
        if art[i] >= 0:
            for j in range(art_promos + T[art_off + art[i]], art_promos + T[art_off + art[i] + 1]):
                p = T[j]
                if p % n_shards == shard:
                    buf[k] = p
                    k += 1
        if grp[i] >= 0:
            for j in range(grp_promos + T[grp_off + grp[i]], grp_promos + T[grp_off + grp[i] + 1]):
                p = T[j]
                if p % n_shards == shard:
                    buf[k] = p
                    k += 1
    return k


@jit
def sorted_unique(a: np.ndarray) -> np.ndarray:
    """np.unique of ``a`` (int64, sorted in place): numba's np.unique builds Python-style lists."""
    return a[:unique_in_place(a)].copy()


@jit
def unique_in_place(a: np.ndarray) -> int:
    """Sorts ``a`` (int64) and moves its distinct values to the front: their count."""
    a.sort()
    w = 0
    for i in range(a.shape[0]):
        if w == 0 or a[i] != a[w - 1]:
            a[w] = a[i]
            w += 1
    return w


@jit
def has_part(milli, sign: int) -> bool:
    """Has the basket sale (sign 1) or return (-1) lines?"""
    for i in range(milli.shape[0]):
        if milli[i] * sign > 0:
            return True
    return False


@jit
def part_lines(art, grp, milli, up, gross, sign: int):
    """Positions and the part tuple L (kernels.lines) of the sale (sign 1) or return (-1) lines.

    A basket that is all sale lines is its own sale part: its arrays are used as they are (the
    kernels never write to a part's lines), which spares five copies per basket."""
    n = 0
    for i in range(milli.shape[0]):
        if milli[i] * sign > 0:
            n += 1
    if sign > 0 and n == milli.shape[0]:
        return np.arange(n), part(art, grp, milli, up, gross)
    idx = np.nonzero(milli * sign > 0)[0]
    return idx, part(art[idx], grp[idx], np.abs(milli[idx]), up[idx], np.abs(gross[idx]))


@jit
def context_flags(T, cands: np.ndarray, ctx, code_types, exhausted) -> np.ndarray:
    """(len(cands),) bool: the line-independent conditions of each candidate hold."""
    out = np.empty(cands.shape[0], dtype=np.bool_)
    for k in range(cands.shape[0]):
        out[k] = context_ok(T, cands[k], ctx, code_types, exhausted)
    return out


@jit
def eligible_or_nearly(T, cands, art, grp, milli, up, gross, ctx, code_types, exhausted) -> np.ndarray:
    """The candidates that are eligible or only miss MIN_QUANTITY/MIN_SPEND on some non-empty part."""
    prefetch_candidates(T, cands)
    cok = context_flags(T, cands, ctx, code_types, exhausted)
    keep = np.zeros(cands.shape[0], dtype=np.bool_)
    miss = np.empty(2, dtype=np.int64)
    for sign in (1, -1):
        if not has_part(milli, sign):
            continue
        idx, L = part_lines(art, grp, milli, up, gross, sign)
        for k in range(cands.shape[0]):
            if cok[k] and not keep[k] and (sign > 0 or T[promo_row(T, cands[k]) + P_COUPON_SET] < 0):
                keep[k] = line_verdict(T, cands[k], L, miss) != 0
    return cands[keep]


@jit
def scratch_ints(m: int, n: int) -> int:
    """int64 scratch entries price_basket_in needs for m candidates over n lines (both parts): the
    discount rows (at most m x n, 4 columns) and applied rows (m, 5) at the front, then the
    per-candidate totals, then one part's arrays (reused by the return part)."""
    return 4 * m * n + 5 * m + 4 * m + 2 + (14 + INT_ROWS) * n + look_size(n) + 7 * m + m * n


@jit
def scratch_bools(m: int, n: int) -> int:
    """bool scratch entries of price_basket_in: the context flags and the part's mask rows."""
    return m + MASK_ROWS * n


@jit
def price_basket(T, cands, art, grp, milli, up, gross, ctx, code_types, exhausted, want_recs: bool,
                 node_limit: int, work_limit: int):
    """Price one basket against its candidate promotions (sorted rank indices).

    Returns:
        disc: (d, 4) int64 rows (line, promotion, signed amount, coupon code index or -1), sale part
            first, then return part; within a part by promotion in application order, then line.
        applied: (a, 5) rows (promotion, amount, points, code, on sale), application order: the
            promotions that took effect on the sale part (amount, granted items, points or coupons
            issued; on sale = 1) and those whose only effect is points on the return part (amount 0,
            code -1, on sale = 0). Points are the transaction's: sale part minus return part.
        total_points: int, the sum of the applied points.
        recs: (r, 4) rows (promotion, missing amount, missing quantity, potential saving), sale part.
        nodes: best-deal branch nodes used (the larger of the two parts).
        exact: bool, False when a part's best-deal search passed ``node_limit`` or ``work_limit``
            (kernels.best_deal): the choice is valid, the best found, not proven the best.
    """
    m, n = cands.shape[0], milli.shape[0]
    si = np.empty(scratch_ints(m, n), dtype=np.int64)
    sb = np.empty(scratch_bools(m, n), dtype=np.bool_)
    nd, na, total_points, recs, max_nodes, exact = price_basket_in(
        T, cands, art, grp, milli, up, gross, ctx, code_types, exhausted, want_recs, node_limit, work_limit,
        borrowed(si), borrowed(sb))
    keep(sb)  # alive through the call (a borrowed view does not hold it)
    disc = si[:4 * nd].reshape((nd, 4))  # views of si (owned: they keep it alive)
    applied = si[4 * m * n:4 * m * n + 5 * na].reshape((na, 5))
    return disc, applied, total_points, recs, max_nodes, exact


@jit
def price_basket_in(T, cands, art, grp, milli, up, gross, ctx, code_types, exhausted, want_recs: bool,
                    node_limit: int, work_limit: int, si, sb):
    """price_basket in caller's scratch: ``si`` (>= scratch_ints(m, n)) int64, ``sb`` (>=
    scratch_bools(m, n)) bool, both borrowed views (kernels.borrow) the caller keeps alive; batch
    pricing reuses them across a chunk of baskets, so a basket allocates almost nothing.

    Returns (d, a, total_points, recs, nodes, exact): the d discount rows are ``si[:4 d]`` as (d, 4)
    and the a applied rows ``si[4 m n:4 m n + 5 a]`` as (a, 5) (price_basket's disc and applied).
    """
    # The arguments, the part and the scratch go to every per-candidate call as borrowed views (no
    # reference counts, kernels.borrow): the caller holds the arguments and the scratch, ``keep``
    # the rest.
    T, cands, ctx, code_types, exhausted = borrowed(T), borrowed(cands), borrowed(ctx), borrowed(code_types), \
        borrowed(exhausted)
    art, grp, milli, up, gross = borrowed(art), borrowed(grp), borrowed(milli), borrowed(up), borrowed(gross)
    nc = cands.shape[0]
    n_all = milli.shape[0]
    # int64 scratch: discount rows, applied rows, took, miss, then the part region
    d_rows = si[:4 * nc * n_all].reshape((nc * n_all, 4))
    a_rows = si[4 * nc * n_all:4 * nc * n_all + 5 * nc].reshape((nc, 5))
    pos = 4 * nc * n_all + 5 * nc
    # per candidate: the transaction's points, took effect on the sale part (0/1), its amount and code
    took = si[pos:pos + 4 * nc].reshape((nc, 4))
    took[:] = 0
    pos += 4 * nc
    miss = si[pos:pos + 2]
    pos += 2
    part0 = pos
    cok = sb[:nc]
    prefetch_candidates(T, cands)  # the candidates' rows are cold: their reads overlap from here
    for k in range(nc):
        cok[k] = context_ok(T, cands[k], ctx, code_types, exhausted)
    recs = np.empty((0, 4), dtype=np.int64)
    max_nodes = 0
    exact = True
    nd = 0
    for sign in (1, -1):
        if not has_part(milli, sign):
            continue
        n = 0
        for i in range(n_all):
            if milli[i] * sign > 0:
                n += 1
        pos = part0
        idx = si[pos:pos + n]
        pos += n
        if sign > 0 and n == n_all:  # all sale lines: the basket is its own sale part (no copies)
            for i in range(n):
                idx[i] = i
            p_art, p_grp, p_milli, p_up, p_gross = art, grp, milli, up, gross
        else:
            p_art = si[pos:pos + n]
            p_grp = si[pos + n:pos + 2 * n]
            p_milli = si[pos + 2 * n:pos + 3 * n]
            p_up = si[pos + 3 * n:pos + 4 * n]
            p_gross = si[pos + 4 * n:pos + 5 * n]
            r = 0
            for i in range(n_all):
                if milli[i] * sign > 0:
                    idx[r] = i
                    p_art[r] = art[i]
                    p_grp[r] = grp[i]
                    p_milli[r] = abs(milli[i])
                    p_up[r] = up[i]
                    p_gross[r] = abs(gross[i])
                    r += 1
        pos += 5 * n
        order = si[pos:pos + n]
        pos += n
        nl = look_size(n)
        look = si[pos:pos + nl]
        pos += nl
        masks = sb[nc:nc + MASK_ROWS * n].reshape((MASK_ROWS, n))
        rows = si[pos:pos + INT_ROWS * n].reshape((INT_ROWS, n))
        pos += INT_ROWS * n
        L = part_into(p_art, p_grp, p_milli, p_up, p_gross, order, look, masks, rows)
        verdict = si[pos:pos + nc]
        pos += nc
        missing = si[pos:pos + 2 * nc].reshape((nc, 2))
        pos += 2 * nc
        m_ok = 0
        ok = si[pos:pos + nc]
        pos += nc
        for k in range(nc):
            verdict[k] = 0
            missing[k, 0] = 0
            missing[k, 1] = 0
            if cok[k] and (sign > 0 or T[promo_row(T, cands[k]) + P_COUPON_SET] < 0):  # no coupon on a return
                verdict[k] = line_verdict(T, cands[k], L, miss)
                missing[k, 0] = miss[0]
                missing[k, 1] = miss[1]
                if verdict[k] == ELIGIBLE:
                    ok[m_ok] = cands[k]
                    m_ok += 1
        ok = ok[:m_ok]
        work = si[pos:pos + WORK_ROWS * n].reshape((WORK_ROWS, n))  # stacking scratch for the whole part
        pos += WORK_ROWS * n
        any_exclusive = False
        for k in range(m_ok):
            if T[promo_row(T, ok[k]) + P_EXCLUSIVE] != 0:
                any_exclusive = True
                break
        chosen = si[pos:pos + m_ok]
        pos += m_ok
        m = 0
        alone_owned = si[:0].reshape((0, n))  # empty views of the scratch: no allocation
        reach_owned = sb[:0].reshape((0, n))
        if any_exclusive:  # else choose takes every candidate without a search
            member, nodes, _, part_exact, alone_owned, reach_owned = choose(T, ok, L, work, node_limit, work_limit)
            max_nodes = max(max_nodes, nodes)
            exact = exact and part_exact
            for k in range(m_ok):
                if member[k]:
                    chosen[m] = ok[k]
                    m += 1
        else:
            member = sb[:0]
            for k in range(m_ok):
                chosen[k] = ok[k]
            m = m_ok
        chosen = chosen[:m]
        alone, reach = borrowed(alone_owned), borrowed(reach_owned)
        amounts = si[pos:pos + m * n].reshape((m, n))
        pos += m * n
        if alone.shape[0]:  # the search priced each promotion alone: reuse those rows where they hold
            apply_reusing(T, ok, member, L, alone, reach, amounts, work)
        else:
            apply_set(T, chosen, L, amounts, work)
        net = si[pos:pos + n]  # what is left of each line
        pos += n
        for i in range(n):
            net[i] = p_gross[i]
        for k in range(m):
            for i in range(n):
                net[i] -= amounts[k, i]
        pts = si[pos:pos + m]
        pos += m
        pts[:] = 0
        points(T, chosen, L, net, sign > 0, pts)
        codes = si[pos:pos + m]
        pos += m
        j = 0
        for k in range(m):
            codes[k] = coupon_code(T, chosen[k], code_types)
            while cands[j] != chosen[k]:  # both in rank order
                j += 1
            took[j, 0] += sign * pts[k]
            if sign > 0:
                row = promo_row(T, chosen[k])
                has_pts = T[row + P_PTS_END] > T[row + P_PTS_OFF]
                amount = 0
                for i in range(n):
                    amount += amounts[k, i]
                if amount != 0 or T[row + P_GRANTS] != 0 or (has_pts and pts[k] != 0):
                    took[j, 1] = 1
                    took[j, 2] = amount
                    took[j, 3] = codes[k]
        for k in range(m):
            for i in range(n):
                if amounts[k, i] != 0:
                    d_rows[nd, 0] = idx[i]
                    d_rows[nd, 1] = chosen[k]
                    d_rows[nd, 2] = sign * amounts[k, i]
                    d_rows[nd, 3] = codes[k]
                    nd += 1
        if sign > 0 and want_recs:
            near = np.nonzero(verdict == NEARLY)[0]
            recs = np.empty((near.shape[0], 4), dtype=np.int64)
            zeros = np.zeros(n, dtype=np.int64)
            alone1 = np.empty(n, dtype=np.int64)
            for j in range(near.shape[0]):
                k = near[j]
                apply_promo(T, cands[k], L, zeros, alone1, work)  # actions ignore MIN_* conditions
                recs[j, 0] = cands[k]
                recs[j, 1] = missing[k, 0]
                recs[j, 2] = missing[k, 1]
                recs[j, 3] = alone1.sum()
        keep(alone_owned)  # the borrowed views' memory: alive up to here
        keep(reach_owned)
    n_applied = 0
    total_points = 0
    for j in range(nc):
        total_points += took[j, 0]
        if took[j, 1] != 0 or took[j, 0] != 0:
            a_rows[n_applied, 0] = cands[j]
            a_rows[n_applied, 1] = took[j, 2]
            a_rows[n_applied, 2] = took[j, 0]
            a_rows[n_applied, 3] = took[j, 3] if took[j, 1] != 0 else -1
            a_rows[n_applied, 4] = took[j, 1]
            n_applied += 1
    return nd, n_applied, total_points, recs, max_nodes, exact


@jit
def shard_candidates(T, art, grp, milli, up, gross, ctx, code_types, exhausted, shard: int,
                     n_shards: int) -> np.ndarray:
    """Candidates of one shard for a basket: index lookup, then the eligible-or-nearly filter."""
    cands = index_candidates(T, art, grp, ctx[CTX_POS_GROUP], shard, n_shards)
    return eligible_or_nearly(T, cands, art, grp, milli, up, gross, ctx, code_types, exhausted)


@jit
def evaluate_basket(T, art, grp, milli, up, gross, ctx, code_types, exhausted, want_recs: bool, node_limit: int,
                    work_limit: int):
    """Both phases for one basket over the whole set (see price_basket for the returned arrays).

    The index candidates are a superset of the eligible-or-nearly ones; price_basket checks every
    condition again, so the extra ones change nothing.
    """
    cands = index_candidates(T, art, grp, ctx[CTX_POS_GROUP], 0, 1)
    return price_basket(T, cands, art, grp, milli, up, gross, ctx, code_types, exhausted, want_recs, node_limit,
                        work_limit)
