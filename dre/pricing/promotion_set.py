"""The pricing interface the actors run: a compiled, immutable promotion set of one tenant.

Two implementations: `kernels.KernelSet` (numba, the production path) and
`dre.evaluate.ReferenceSet` (the plain evaluator, for tests and as the benchmark baseline).

Pricing is split in two phases so that promotions can be sharded across actors:

0. ``prepare(basket, ctx)``: the basket as the set's phases read it (the kernels' arrays),
   built once per request by whoever scatters it, not once per shard.
1. ``shard_candidates(shard, items)``: for every prepared basket, the indices (into
   ``ranked``) of the shard's promotions that are candidates for the sale or the return part, or
   are held back only by MIN_QUANTITY / MIN_SPEND (recommendations). This is the heavy, per-shard
   part (index lookup + conditions).
2. ``resolve(items, candidates)``: stacking, best deal, discounts, points and
   recommendations over the merged candidates of each basket.

``evaluate(basket, ctx)`` is both phases over every shard for one basket.

``resolve`` and ``evaluate`` take ``work_limit``: a tighter bound on the best-deal search than the
set's own (None: the set's own). A Result cut short by it has ``exact`` False; the actors price
with a small bound first and give only such baskets a thread with the full one (actors.messages).
A set whose search is exhaustive (the reference evaluator) ignores it.

``evaluate_staged`` / ``resolve_staged`` are the same pricing cut in :class:`Staged` steps, for the
actors' heavy lane: the step that holds the CPU runs on a low-priority thread, and should hold the
GIL as little as it can (a low-priority thread holding the GIL makes everyone wait for it).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from dre.pricing.context import Context
from dre.pricing.result import Result

if TYPE_CHECKING:
    from dre.basket import Basket
    from dre.promotion.model import Promotion


class Staged(NamedTuple):
    """One basket's pricing in two steps: ``finish(kernel())`` is its Result.

    ``kernel()``: the long part, thread-safe; for the kernels one numba call that releases the GIL.
    ``finish(raw)``: shapes the Result (Python, holds the GIL; short).
    """

    kernel: Callable[[], Any]
    finish: Callable[[Any], Result]


class Prepared(NamedTuple):
    """One basket as a set's phases take it: ``encoded`` is whatever that set derives from the
    basket once (the kernels' arrays; None for the reference evaluator)."""

    basket: Basket
    ctx: Context
    encoded: Any = None


class PromotionSet(Protocol):
    version: int
    n_shards: int
    ranked: Sequence[Promotion]  # application order: priority desc, id asc
    by_id: Mapping[str, Promotion]

    def prepare(self, basket: Basket, ctx: Context) -> Prepared: ...

    def shard_candidates(self, shard: int, items: Sequence[Prepared]) -> list[np.ndarray]: ...

    def resolve(self, items: Sequence[Prepared], candidates: Sequence[np.ndarray],
                work_limit: int | None = None) -> list[Result]: ...

    def evaluate(self, basket: Basket, ctx: Context, work_limit: int | None = None) -> Result: ...

    def evaluate_staged(self, basket: Basket, ctx: Context, work_limit: int | None = None) -> Staged: ...

    def resolve_staged(self, item: Prepared, candidates: np.ndarray, work_limit: int | None = None) -> Staged: ...


def merge_candidates(parts: Sequence[np.ndarray]) -> np.ndarray:
    """One basket's candidates from every shard, as sorted unique int64 indices."""
    if not parts:
        return np.empty(0, dtype=np.int64)
    return np.unique(np.concatenate(parts).astype(np.int64, copy=False))


def evaluate_in_phases(pset: PromotionSet, basket: Basket, ctx: Context) -> Result:
    """Both phases over every shard for one basket, as the actors run them."""
    item = pset.prepare(basket, ctx)
    cands = [pset.shard_candidates(s, [item])[0] for s in range(pset.n_shards)]
    return pset.resolve([item], [merge_candidates(cands)])[0]
