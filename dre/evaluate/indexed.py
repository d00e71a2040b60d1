"""`IndexedReferenceSet`: the reference evaluator behind an article index, for large sets.

``ReferenceSet.shard_candidates`` checks every promotion against every basket: 2-5 s a basket at
100,000 promotions. A promotion with article conditions can only be a candidate (eligible, or held
back only by MIN_QUANTITY / MIN_SPEND) when a line's article or group is among its condition's
values (else it fails ARTICLE), and one without article conditions but with posGroups only for
those pos groups (else it fails POS_GROUP). So looking the basket's articles, groups and pos group
up in dicts gives a superset of the candidates, and the reference's own check of that superset
gives exactly ReferenceSet's candidates: the same answers, in milliseconds. The service prices with
it while the numba kernels compile (actors.kernels).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dre.evaluate import eligibility
from dre.evaluate.pipeline import split_parts
from dre.evaluate.promotion_set import ReferenceSet
from dre.pricing import Prepared
from dre.promotion.model import Promotion


class IndexedReferenceSet(ReferenceSet):
    """ReferenceSet whose candidates are looked up before they are checked; same answers."""

    def __init__(self, promotions: Sequence[Promotion], version: int = 1, n_shards: int = 1) -> None:
        super().__init__(promotions, version, n_shards)
        self._by_article: dict[str, list[int]] = {}
        self._by_group: dict[str, list[int]] = {}
        self._by_pos_group: dict[str, list[int]] = {}
        self._everywhere: list[int] = []  # neither article conditions nor posGroups
        for i, p in enumerate(self.ranked):
            if p.article_conds:
                for c in p.article_conds:
                    index = self._by_group if c.by_group else self._by_article
                    for v in c.values:
                        index.setdefault(v, []).append(i)
            elif p.pos_groups is not None:
                for g in p.pos_groups:
                    self._by_pos_group.setdefault(g, []).append(i)
            else:
                self._everywhere.append(i)

    def _looked_up(self, basket) -> list[int]:
        """Indices (rank order) of every promotion the basket can make a candidate: a superset."""
        found = set(self._everywhere)
        found.update(self._by_pos_group.get(basket.pos_group, ()))
        for ln in basket.lines:
            found.update(self._by_article.get(ln.article, ()))
            found.update(self._by_group.get(ln.group, ()))
        return sorted(found)

    def shard_candidates(self, shard: int, items: Sequence[Prepared]) -> list[np.ndarray]:
        out = []
        for basket, ctx, _ in items:
            usable = ctx.usable_types(basket.coupons)
            parts = [(lines, sign < 0) for lines, sign in zip(split_parts(basket), (1, -1)) if lines]
            idx = [i for i in self._looked_up(basket) if i % self.n_shards == shard
                   and any((e := eligibility.check(self.ranked[i], basket, lines, ctx.left_out, usable, ret)).ok
                           or e.nearly for lines, ret in parts)]
            out.append(np.array(idx, dtype=np.int64))
        return out
