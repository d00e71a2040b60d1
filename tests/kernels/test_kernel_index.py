"""The candidate index: article/group lookups and global promotions."""
from __future__ import annotations

import numpy as np

from dre.promotion import model as m
from kernels import KernelSet
from kernels.basket import index_candidates
from kernels.index import csr, index_lookup


def promo(pid: str, article_conds=(), priority: int = 0, pos_groups=None) -> m.Promotion:
    return m.Promotion(
        id=pid, name=pid, type="ARTICLE", active=True, valid_from=None, valid_to=None, window=None,
        pos_groups=pos_groups, priority=priority, exclusive=False, multiplicative=False, rounding_mode=0,
        rounding_step=1, budget=None, article_conds=tuple(article_conds), min_quantity=None, min_spend=(),
        context_conds=(), coupon_types=None, time_conds=(),
        price_actions=(m.ReceiptAction(m.Calc(m.PCT, 100)),), injects=(), points=())


def test_csr_sorts_and_dedups():
    off, vals = csr(3, [(2, 5), (0, 1), (2, 3), (2, 5)])
    assert off.tolist() == [0, 1, 1, 3]
    assert vals.tolist() == [1, 3, 5]
    assert index_lookup(off, vals, 2).tolist() == [3, 5]
    assert index_lookup(off, vals, -1).tolist() == []


def test_index_finds_article_group_and_global_promotions():
    ks = KernelSet([
        promo("ART", [m.ArticleCond(False, frozenset({"A1", "A2"}))]),
        promo("GRP", [m.ArticleCond(True, frozenset({"G1"}))], priority=5),
        promo("BOTH", [m.ArticleCond(False, frozenset({"G1"})), m.ArticleCond(True, frozenset({"A1"}))]),
        promo("GLOBAL"),
        promo("STORE", pos_groups=frozenset({"N"})),
    ])
    order = [p.id for p in ks.ranked]
    assert order == ["GRP", "ART", "BOTH", "GLOBAL", "STORE"]  # priority desc, id asc
    v = ks.compiled.vocab
    T = ks.tables.flat  # kernels take the packed set

    def lookup(arts, grps, shard=0, n_shards=1, pos="S"):
        ids = index_candidates(T, np.array([v.get(a) for a in arts], dtype=np.int64),
                               np.array([v.get(g) for g in grps], dtype=np.int64), v.get(pos), shard, n_shards)
        return [order[i] for i in ids]

    assert lookup(["A1"], ["X"]) == ["ART", "GLOBAL"]  # ARTICLE index keyed by article only
    assert lookup(["X"], ["G1"]) == ["GRP", "GLOBAL"]  # BOTH lists G1 as an article, not a group
    assert lookup(["G1"], ["A1"]) == ["BOTH", "GLOBAL"]
    assert lookup(["A1", "A2", "UNKNOWN"], ["G1", "G1", ""]) == ["GRP", "ART", "GLOBAL"]
    assert lookup([], []) == ["GLOBAL"]
    assert lookup([], [], pos="N") == ["GLOBAL", "STORE"]  # posGroups-gated global promotion
    assert lookup(["A1"], ["G1"], shard=1, n_shards=2) == ["ART", "GLOBAL"]  # shard 1 of 2 owns ranks 1, 3
    assert lookup(["A1"], ["G1"], shard=0, n_shards=2) == ["GRP"]
    assert ks.tables.global_promos.tolist() == [3]
