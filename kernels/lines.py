"""A part's lines as the kernels read them, and which of them a set's values match.

A part is the tuple ``L = (art, grp, milli, unit_price, gross, order, look, masks)``: (n,) int64
interned article and group ids, positive quantity (thousandths) and gross (cents); ``order``, the
line positions dearest gross unit price first (ties: line order); ``look``, a small hash table
from the part's ids to its lines (below); ``masks``, (MASK_ROWS, n) bool scratch; ``rows``,
(INT_ROWS, n) int64 scratch.

Why ``look``: every condition and action asks "which lines does set s match?". Asking
``in_set`` once per line costs n binary searches per question, and a part asks it several times
per candidate promotion (verdict, reach, alone, stacking): with tens of candidates over 30 lines
that was most of a basket's time. A set of a large promotion set names a few articles, so
looking each of its values up among the part's ids costs a few probes instead; a set with more
values than the part has lines is still answered line by line. Both answers are the same.
The two are inlined (numba IR) into their callers: a call passing the 8-array tuple L costs more
than the lookup itself.
"""
from __future__ import annotations

import numpy as np

from kernels.borrow import borrowed
from kernels.config import jit, jit_inline
from kernels.packed import in_set, set_range

BY_ART, BY_GROUP, BY_EITHER = 0, 1, 2  # a line matches by its article id, its group id, or either
L_LOOK, L_MASKS, L_ROWS = 6, 7, 8  # positions in L
MASK_ROWS = 2  # masks row 0: line_verdict's qualifying lines; row 1: one action's matching lines
INT_ROWS = 2  # rows: int64 scratch of one action (a receipt-level spread: its bases and remainders)


@jit
def lookup(art: np.ndarray, grp: np.ndarray) -> np.ndarray:
    """Open-addressing table of the part's ids: ``look[0]`` = h (a power of two, at least twice the
    ids), then h keys (-1 free), h heads of the article chains, h heads of the group chains, n links
    of article chains, n links of group chains (line positions, -1 ends a chain)."""
    look = np.empty(look_size(art.shape[0]), dtype=np.int64)
    lookup_into(art, grp, look)
    return look


@jit
def look_size(n: int) -> int:
    """Entries of a part's lookup table for n lines (see lookup)."""
    h = 8
    while h < 4 * n:
        h *= 2
    return 1 + 3 * h + 2 * n


@jit
def lookup_into(art: np.ndarray, grp: np.ndarray, look: np.ndarray) -> None:
    """lookup written into ``look`` (look_size(n) entries, scratch reused across parts)."""
    n = art.shape[0]
    h = 8
    while h < 4 * n:
        h *= 2
    look[0] = h
    look[1:1 + 3 * h] = -1
    for i in range(n - 1, -1, -1):  # pushed in reverse: chains run in line order
        for by in range(2):
            x = art[i] if by == BY_ART else grp[i]
            if x < 0:
                continue
            j = _slot(look, x)
            look[1 + j] = x
            head = 1 + (by + 1) * h + j
            look[1 + 3 * h + by * n + i] = look[head]
            look[head] = i


@jit
def _slot(look: np.ndarray, x: int) -> int:
    """Slot of id ``x``: where it is, or the free slot where it would go (linear probing)."""
    h = look[0]
    j = x & (h - 1)
    while look[1 + j] != -1 and look[1 + j] != x:
        j = (j + 1) & (h - 1)
    return j


@jit
def part(art: np.ndarray, grp: np.ndarray, milli: np.ndarray, up: np.ndarray, gross: np.ndarray):
    """The tuple L of a part (quantities and amounts already positive)."""
    return (art, grp, milli, up, gross, dearest_first(up), lookup(art, grp),
            np.empty((MASK_ROWS, art.shape[0]), dtype=np.bool_), np.empty((INT_ROWS, art.shape[0]), dtype=np.int64))


@jit
def part_into(art: np.ndarray, grp: np.ndarray, milli: np.ndarray, up: np.ndarray, gross: np.ndarray,
              order: np.ndarray, look: np.ndarray, masks: np.ndarray, rows: np.ndarray):
    """The tuple L of a part built in caller's scratch (order (n,), look (look_size(n),), masks
    (MASK_ROWS, n), rows (INT_ROWS, n)): the same L as part's, without allocating."""
    dearest_first_into(up, order)
    lookup_into(art, grp, look)
    return (art, grp, milli, up, gross, order, look, masks, rows)


@jit_inline
def borrowed_part(L):
    """L with every array a borrowed view (kernels.borrow): the caller keeps L alive while it is used."""
    return (borrowed(L[0]), borrowed(L[1]), borrowed(L[2]), borrowed(L[3]), borrowed(L[4]), borrowed(L[5]),
            borrowed(L[6]), borrowed(L[7]), borrowed(L[8]))


@jit
def dearest_first(up: np.ndarray) -> np.ndarray:
    """Line positions by unit price descending, ties in line order: a stable argsort of ``-up``,
    by insertion (a basket's few tens of lines; numba's mergesort allocates per call)."""
    order = np.empty(up.shape[0], dtype=np.int64)
    dearest_first_into(up, order)
    return order


@jit
def dearest_first_into(up: np.ndarray, order: np.ndarray) -> None:
    """dearest_first written into ``order`` ((n,) scratch)."""
    n = up.shape[0]
    for i in range(n):
        j = i
        while j > 0 and up[order[j - 1]] < up[i]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i


@jit_inline
def _line_in(T: np.ndarray, s: int, L, by: int, i: int) -> bool:
    """Does line i's article or group (``by``) lie in set ``s``? (A binary search per id.)"""
    return (by != BY_GROUP and in_set(T, s, L[0][i])) or (by != BY_ART and in_set(T, s, L[1][i]))


@jit_inline
def mark_lines(T: np.ndarray, s: int, L, by: int, out: np.ndarray) -> None:
    """``out[i] = True`` for every line of the part whose id (``by``: BY_ART, BY_GROUP, BY_EITHER) is
    in set ``s`` (-1: none); other entries are left as they are."""
    if s < 0:
        return
    n = L[0].shape[0]
    lo, hi = set_range(T, s)
    if hi - lo > 2 * n:  # more values than lines: ask line by line
        for i in range(n):
            if _line_in(T, s, L, by, i):
                out[i] = True
        return
    look = L[L_LOOK]
    h = look[0]
    for v in range(lo, hi):
        x = T[v]
        j = _slot(look, x)
        if look[1 + j] != x:
            continue
        if by != BY_GROUP:
            i = look[1 + h + j]
            while i >= 0:
                out[i] = True
                i = look[1 + 3 * h + i]
        if by != BY_ART:
            i = look[1 + 2 * h + j]
            while i >= 0:
                out[i] = True
                i = look[1 + 3 * h + n + i]


@jit_inline
def any_line(T: np.ndarray, s: int, L, by: int) -> bool:
    """Does some line of the part match set ``s`` (as mark_lines; -1: none)? Stops at the first one,
    and marks nothing: the article condition of a promotion without MIN_* thresholds asks only this."""
    if s < 0:
        return False
    n = L[0].shape[0]
    lo, hi = set_range(T, s)
    if hi - lo > 2 * n:  # more values than lines: ask line by line
        for i in range(n):
            if _line_in(T, s, L, by, i):
                return True
        return False
    look = L[L_LOOK]
    h = look[0]
    for v in range(lo, hi):
        x = T[v]
        j = _slot(look, x)
        if look[1 + j] != x:
            continue
        if by != BY_GROUP and look[1 + h + j] >= 0:
            return True
        if by != BY_ART and look[1 + 2 * h + j] >= 0:
            return True
    return False


@jit_inline
def matching(T: np.ndarray, s: int, L, by: int) -> np.ndarray:
    """The part's lines matching set ``s`` (see mark_lines) as (n,) bool, in L's action scratch row:
    valid until the next call."""
    out = L[L_MASKS][1]
    out[:] = False
    mark_lines(T, s, L, by, out)
    return out
