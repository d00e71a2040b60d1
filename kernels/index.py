"""Article/group index: which promotions a line can make candidates (CSR over vocabulary ids)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def csr(n_keys: int, pairs: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """CSR of (key, value) pairs: ``values[off[k]:off[k + 1]]`` are key k's values, sorted, unique.

    Returns (off (n_keys + 1,) int64, values int64).
    """
    if not pairs:
        return np.zeros(n_keys + 1, dtype=np.int64), np.empty(0, dtype=np.int64)
    arr = np.unique(np.asarray(pairs, dtype=np.int64), axis=0)  # sorted by key, then value
    counts = np.bincount(arr[:, 0], minlength=n_keys)
    off = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(counts, out=off[1:])
    return off, np.ascontiguousarray(arr[:, 1])


def build_index(n_vocab: int, art_pairs: Sequence[tuple[int, int]], grp_pairs: Sequence[tuple[int, int]],
                global_promos: Sequence[int], gpos_pairs: Sequence[tuple[int, int]] = ()) -> dict[str, np.ndarray]:
    """The candidate index of a set.

    Args:
        n_vocab: vocabulary size V.
        art_pairs: (vocabulary id, promotion) for every value of an ARTICLE condition.
        grp_pairs: (vocabulary id, promotion) for every value of an ARTICLE_GROUP condition.
        global_promos: promotions without article conditions nor posGroups (candidates for every basket).
        gpos_pairs: (pos group id, promotion) for promotions without article conditions that list
            posGroups: only baskets of those pos groups can make them candidates.
    Returns:
        art_off, art_promos, grp_off, grp_promos (CSR, offsets (V + 1,)), global_promos (sorted).
    """
    art_off, art_promos = csr(n_vocab, art_pairs)
    grp_off, grp_promos = csr(n_vocab, grp_pairs)
    gpos_off, gpos_promos = csr(n_vocab, list(gpos_pairs))
    return {"art_off": art_off, "art_promos": art_promos, "grp_off": grp_off, "grp_promos": grp_promos,
            "global_promos": np.array(sorted(global_promos), dtype=np.int64),
            "gpos_off": gpos_off, "gpos_promos": gpos_promos}


def index_lookup(off: np.ndarray, promos: np.ndarray, key: int) -> np.ndarray:
    """Promotions listed under ``key`` (-1: none)."""
    if key < 0 or key + 1 >= off.shape[0]:
        return promos[:0]
    return promos[off[key]:off[key + 1]]
