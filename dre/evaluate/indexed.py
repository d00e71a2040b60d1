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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dre.evaluate import eligibility
from dre.evaluate.pipeline import split_parts
from dre.evaluate.promotion_set import ReferenceSet
from dre.pricing import Prepared
from dre.promotion.model import Promotion


@dataclass(frozen=True)
class ArticleIndex:
    """Rank indices of a set's promotions by what makes them candidates (module doc)."""

    by_article: dict[str, list[int]]
    by_group: dict[str, list[int]]
    by_pos_group: dict[str, list[int]]
    everywhere: list[int]  # neither article conditions nor posGroups

    @classmethod
    def of(cls, ranked: Sequence[Promotion]) -> ArticleIndex:
        index = cls({}, {}, {}, [])
        for i, p in enumerate(ranked):
            if p.article_conds:
                for c in p.article_conds:
                    by = index.by_group if c.by_group else index.by_article
                    for v in c.values:
                        by.setdefault(v, []).append(i)
            elif p.pos_groups is not None:
                for g in p.pos_groups:
                    index.by_pos_group.setdefault(g, []).append(i)
            else:
                index.everywhere.append(i)
        return index


class IndexedReferenceSet(ReferenceSet):
    """ReferenceSet whose candidates are looked up before they are checked; same answers."""

    per_customer_limits: tuple[tuple[str, int], ...] | None = None  # known in advance (prebuilt), else None

    def __init__(self, promotions: Sequence[Promotion], version: int = 1, n_shards: int = 1) -> None:
        super().__init__(promotions, version, n_shards)
        self._index = ArticleIndex.of(self.ranked)

    @classmethod
    def prebuilt(cls, ranked: Sequence[Promotion], by_id: Mapping[str, Promotion], index: ArticleIndex,
                 per_customer_limits: tuple[tuple[str, int], ...], version: int = 1,
                 n_shards: int = 1) -> IndexedReferenceSet:
        """The set of ``ranked`` (in application order) from parts made by an earlier start
        (dre.evaluate.packed_set): ``by_id``, ``index`` (ArticleIndex.of(ranked)) and the
        promotions with a per-customer limit, (id, limit) by id; nothing is walked here."""
        self = cls.__new__(cls)
        self.version, self.n_shards, self.ranked, self.by_id = version, n_shards, ranked, by_id
        self._index, self.per_customer_limits = index, per_customer_limits
        return self

    def _looked_up(self, basket) -> list[int]:
        """Indices (rank order) of every promotion the basket can make a candidate: a superset."""
        index = self._index
        found = set(index.everywhere)
        found.update(index.by_pos_group.get(basket.pos_group, ()))
        for ln in basket.lines:
            found.update(index.by_article.get(ln.article, ()))
            found.update(index.by_group.get(ln.group, ()))
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
