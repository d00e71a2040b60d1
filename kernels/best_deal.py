"""Best deal: which exclusive promotions to apply (exact search, identical to the exhaustive reference).

The reference (dre.evaluate.best_deal) tries every set C of exclusive promotions with pairwise
disjoint *touched* lines (lines a promotion discounts alone, on gross amounts) and applies C plus
every other candidate touching none of C's lines; it keeps the largest total saving, ties going to
the set whose membership vector (in rank order, True > False) is lexicographically larger.

Here the same maximum is found by decomposition. A promotion's *reach* (kernels.actions.action_reach)
holds every line its amounts can depend on or land on, in any stacking order; touched lines are
within it. Promotions whose reaches are in different connected components cannot influence each
other, so savings add up over components, the disjointness constraints stay inside them, and the
lexicographic tie-break decomposes too (positions of different components are disjoint). Each
component is solved on its own: branch on its first undecided exclusive in rank order, *take*
(drop every other promotion touching its lines) or *drop*, and split into components again.
The search is bounded per part by branch nodes (``BEST_DEAL_NODE_LIMIT``) and by work
(``BEST_DEAL_WORK_LIMIT``: each step costs m x (n + 1) units, see kernels.config). Once either is
passed, every group still undecided is decided greedily in rank order (take each exclusive that
still fits): the answer is the best of the choices found so far, each a valid choice (no two
exclusives share a line, amounts clamped as always), no longer proven best; ``choose`` says so.
The work count is deterministic (no clock), so the same basket always gets the same answer.
"""
from __future__ import annotations

import numpy as np

from kernels.config import BEST_DEAL_NODE_LIMIT, BEST_DEAL_WORK_LIMIT, jit
from kernels.actions import action_reach
from kernels.borrow import borrowed, keep
from kernels.layout import P_ACT_END, P_ACT_OFF, P_EXCLUSIVE
from kernels.packed import promo_row
from kernels.stacking import apply_promo, set_saving


@jit
def components(alive: np.ndarray, reach: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected components of the alive promotions, linked by a shared reached line.

    Args: alive: (m,) bool; reach: (m, n) bool. Returns (labels (m,) int64, -1 when not alive,
    numbered by first member in rank order; number of components).
    """
    m, n = reach.shape
    parent = np.arange(m)
    for j in range(n):
        first = -1
        for k in range(m):
            if alive[k] and reach[k, j]:
                if first < 0:
                    first = k
                else:
                    a = k
                    while parent[a] != a:
                        parent[a] = parent[parent[a]]  # path halving: roots (the minima) unchanged
                        a = parent[a]
                    b = first
                    while parent[b] != b:
                        parent[b] = parent[parent[b]]
                        b = parent[b]
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    labels = np.full(m, -1, dtype=np.int64)
    count = 0
    for k in range(m):
        if alive[k]:
            r = k
            while parent[r] != r:
                r = parent[r]
            if labels[r] < 0:
                labels[r] = count
                count += 1
            labels[k] = labels[r]
    return labels, count


@jit
def take(k: int, touch: np.ndarray, alive: np.ndarray, undecided: np.ndarray) -> None:
    """Decide exclusive ``k`` in: drop every other alive promotion touching one of its lines."""
    undecided[k] = False
    m, n = touch.shape
    for q in range(m):
        if q != k and alive[q]:
            for j in range(n):
                if touch[q, j] and touch[k, j]:
                    alive[q] = False
                    undecided[q] = False
                    break


@jit
def better(s1: int, m1: np.ndarray, s2: int, m2: np.ndarray) -> bool:
    """Larger saving; on a tie, the membership vector that has the first differing promotion."""
    if s1 != s2:
        return s1 > s2
    for k in range(m1.shape[0]):
        if m1[k] != m2[k]:
            return m1[k]
    return False


# Slots of the ``spent`` array the search shares across a part (CONNECTED: see solve).
NODES, UNITS, CUT, CONNECTED = 0, 1, 2, 3


@jit
def solve(T, ok: np.ndarray, L, touch: np.ndarray, reach: np.ndarray, alone: np.ndarray, alive: np.ndarray,
          undecided: np.ndarray, spent: np.ndarray, node_limit: int, work_limit: int,
          work: np.ndarray) -> tuple[int, np.ndarray]:
    """Best (saving, membership) over the alive promotions; undecided exclusives still open.

    ``alone`` (m, n): each promotion's amounts alone on gross; ``spent`` (3,) int64 across the whole
    part: branch nodes, work units, and 1 once a bound was passed (the answer is then the best
    found, decided greedily where the search stopped); ``work`` (WORK_ROWS, n) int64 stacking scratch.
    ``spent[CONNECTED]`` 1: the alive promotions are known to form one component (a component's
    own solve call), so the components scan would find one: it is skipped (its work is still
    counted). A flag in ``spent`` rather than an argument: a recursive kernel whose calls pass a
    literal bool compiled, but did not load back from numba's cache (it crashed).
    """
    m, n = touch.shape
    connected = spent[CONNECTED] != 0
    spent[CONNECTED] = 0
    spent[UNITS] += m * (n + 1)  # this step: components or set_saving, each a scan of the m x n tables
    if not undecided.any():
        return set_saving(T, ok, alive, L, alone, reach, work), alive.copy()
    count = 1
    labels = np.empty(0, dtype=np.int64)
    if not connected:
        labels, count = components(alive, reach)
    if count > 1:
        # Components without an undecided exclusive have nothing to choose: priced together in one
        # set_saving (savings add up over components), each counting the work its own solve call
        # would, in the same order, so the bounds cut where they did.
        open_ = np.zeros(count, dtype=np.bool_)
        for k in range(m):
            if undecided[k]:
                open_[labels[k]] = True
        member = np.zeros(m, dtype=np.bool_)
        for k in range(m):
            if alive[k] and not open_[labels[k]]:
                member[k] = True
        total = set_saving(T, ok, member, L, alone, reach, work)
        for c in range(count):
            if not open_[c]:
                spent[UNITS] += m * (n + 1)
                continue
            sub = labels == c
            spent[CONNECTED] = 1
            s, mem = solve(T, ok, L, touch, reach, alone, sub, undecided & sub, spent, node_limit, work_limit, work)
            total += s
            member |= mem
        return total, member
    e = np.argmax(undecided)  # first undecided exclusive in rank order
    spent[NODES] += 1
    if spent[NODES] > node_limit or spent[UNITS] > work_limit:
        spent[CUT] = 1
        a = alive.copy()
        u = undecided.copy()
        for k in range(a.shape[0]):
            if u[k]:
                take(k, touch, a, u)
                spent[UNITS] += m * (n + 1)
        return set_saving(T, ok, a, L, alone, reach, work), a
    a_take = alive.copy()
    u_take = undecided.copy()
    take(e, touch, a_take, u_take)
    s_take, m_take = solve(T, ok, L, touch, reach, alone, a_take, u_take, spent, node_limit, work_limit, work)
    a_drop = alive.copy()
    u_drop = undecided.copy()
    a_drop[e] = False
    u_drop[e] = False
    s_drop, m_drop = solve(T, ok, L, touch, reach, alone, a_drop, u_drop, spent, node_limit, work_limit, work)
    if better(s_take, m_take, s_drop, m_drop):
        return s_take, m_take
    return s_drop, m_drop


@jit
def _one_contender(T, ok: np.ndarray, L, touch: np.ndarray, reach: np.ndarray, alone: np.ndarray, e: int,
                   work: np.ndarray) -> np.ndarray:
    """choose's membership when ``e`` is the only contender (most baskets with an exclusive): the
    search's one branch node, priced over the whole part: take ``e`` (drop what touches its lines)
    or drop it, the better by ``better``. The same choice as solve's: promotions outside ``e``'s
    component are in both sets and add the same saving to both (components do not interact), so
    the comparison and the tie-break (the first differing promotion is in the component) agree;
    only the components scan and the recursion are spared. Called only where solve could not pass
    a bound before its node (one node; at most m + 2 steps of work before it), so exact."""
    m = ok.shape[0]
    a_take = np.ones(m, dtype=np.bool_)
    u_take = np.zeros(m, dtype=np.bool_)
    take(e, touch, a_take, u_take)
    a_drop = np.ones(m, dtype=np.bool_)
    a_drop[e] = False
    s_take = set_saving(T, ok, a_take, L, alone, reach, work)
    s_drop = set_saving(T, ok, a_drop, L, alone, reach, work)
    return a_take if better(s_take, a_take, s_drop, a_drop) else a_drop


@jit
def _all(m: int, n: int):
    """choose's answer when there is nothing to choose: every candidate, no search."""
    return np.ones(m, dtype=np.bool_), 0, 0, True, np.empty((0, n), dtype=np.int64), np.empty((0, n), dtype=np.bool_)


@jit
def choose(T, ok: np.ndarray, L, work: np.ndarray, node_limit: int = BEST_DEAL_NODE_LIMIT,
           work_limit: int = BEST_DEAL_WORK_LIMIT):
    """Which candidates to apply: (member (m,) bool over ``ok``, branch nodes, work units, exact,
    alone, reach). ``alone`` (m, n) int64 and ``reach`` (m, n) bool are each promotion's amounts
    alone on gross and its reached lines when the search needed them, else (0, n): the caller
    may reuse them to apply the chosen set (kernels.stacking.apply_reusing).

    Args: ok: (m,) int64 eligible promotions of the part, rank order; L: the part; work:
    (WORK_ROWS, n) int64 stacking scratch (kernels.stacking); node_limit, work_limit: the search
    bounds. Returns exact False when a bound was passed: the choice is then valid but not proven
    the best (module docstring).
    """
    m = ok.shape[0]
    n = L[4].shape[0]
    any_exclusive = False
    for k in range(m):
        if T[promo_row(T, ok[k]) + P_EXCLUSIVE] != 0:
            any_exclusive = True
    if not any_exclusive:
        return _all(m, n)
    # Each promotion alone on gross; its touched lines; the exclusives that touch any (contenders).
    # Plain loops: a row expression (``alone[k] > 0``, ``.any()``) allocates a temporary per row.
    # Borrowed views (kernels.borrow) go to the per-promotion calls; the owners are returned at the end.
    touch_owned = np.empty((m, n), dtype=np.bool_)
    touch = borrowed(touch_owned)
    zeros_owned = np.zeros(n, dtype=np.int64)
    zeros = borrowed(zeros_owned)
    alone_owned = np.empty((m, n), dtype=np.int64)
    alone = borrowed(alone_owned)
    contender = np.zeros(m, dtype=np.bool_)
    n_contenders = 0
    e = -1
    for k in range(m):
        apply_promo(T, ok[k], L, zeros, alone[k], work)
        hit = False
        for i in range(n):
            t = alone[k, i] > 0
            touch[k, i] = t
            hit = hit or t
        if hit and T[promo_row(T, ok[k]) + P_EXCLUSIVE] != 0:
            contender[k] = True
            n_contenders += 1
            e = k
    if n_contenders == 0:
        keep(touch_owned)
        keep(zeros_owned)
        keep(alone_owned)
        return _all(m, n)
    reach_owned = touch.copy()  # touched lines, plus every line an action may read (marked in place)
    reach = borrowed(reach_owned)
    for k in range(m):
        row = promo_row(T, ok[k])
        for a in range(T[row + P_ACT_OFF], T[row + P_ACT_END]):
            action_reach(T, a, L, reach[k])
    unit = m * (n + 1)
    if n_contenders == 1 and node_limit >= 1 and unit * (m + 2) <= work_limit:
        member = _one_contender(T, ok, L, touch, reach, alone, e, work)
        keep(touch_owned)
        keep(zeros_owned)
        return member, 1, 3 * unit, True, alone_owned, reach_owned
    spent = np.zeros(4, dtype=np.int64)
    _, member = solve(T, ok, L, touch, reach, alone, np.ones(m, dtype=np.bool_), contender, spent, node_limit,
                      work_limit, work)
    keep(touch_owned)
    keep(zeros_owned)
    return member, spent[NODES], spent[UNITS], spent[CUT] == 0, alone_owned, reach_owned
