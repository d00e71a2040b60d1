"""`ReferenceSet`: the PromotionSet interface over the plain reference evaluator."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dre.basket import Basket
from dre.evaluate import eligibility
from dre.evaluate.pipeline import evaluate, split_parts
from dre.pricing import Prepared, Staged, evaluate_in_phases
from dre.pricing.context import Context
from dre.pricing.result import Result
from dre.promotion.model import Promotion


class ReferenceSet:
    """Promotions sharded round-robin in rank order; every phase in plain Python."""

    def __init__(self, promotions: Sequence[Promotion], version: int = 1, n_shards: int = 1) -> None:
        self.version = version
        self.n_shards = n_shards
        self.ranked = sorted(promotions, key=lambda p: p.rank)
        self.by_id = {p.id: p for p in self.ranked}

    def prepare(self, basket: Basket, ctx: Context) -> Prepared:
        return Prepared(basket, ctx)

    def shard_candidates(self, shard: int, items: Sequence[Prepared]) -> list[np.ndarray]:
        out = []
        for basket, ctx, _ in items:
            usable = ctx.usable_types(basket.coupons)
            parts = [(lines, sign < 0) for lines, sign in zip(split_parts(basket), (1, -1)) if lines]
            idx = [i for i in range(shard, len(self.ranked), self.n_shards)
                   if any((e := eligibility.check(self.ranked[i], basket, lines, ctx.left_out, usable, ret)).ok
                          or e.nearly for lines, ret in parts)]
            out.append(np.array(idx, dtype=np.int64))
        return out

    def resolve(self, items: Sequence[Prepared], candidates: Sequence[np.ndarray],
                work_limit: int | None = None) -> list[Result]:
        """``work_limit`` is ignored: the reference best deal is exhaustive (every Result exact)."""
        return [evaluate([self.ranked[i] for i in c], b, x) for (b, x, _), c in zip(items, candidates)]

    def evaluate(self, basket: Basket, ctx: Context, work_limit: int | None = None) -> Result:
        return evaluate_in_phases(self, basket, ctx)

    def evaluate_staged(self, basket: Basket, ctx: Context, work_limit: int | None = None) -> Staged:
        """All of it in ``kernel`` (plain Python: nothing to take off the GIL)."""
        return Staged(lambda: self.evaluate(basket, ctx), _same)

    def resolve_staged(self, item: Prepared, candidates: np.ndarray, work_limit: int | None = None) -> Staged:
        return Staged(lambda: self.resolve([item], [candidates])[0], _same)


def _same(result: Result) -> Result:
    return result
