"""`KernelSet`: the PromotionSet interface (dre.pricing) over the compiled numba kernels."""
from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np

from dre.basket import Basket
from dre.pricing import Prepared, Staged, evaluate_in_phases
from dre.pricing.context import Context
from dre.pricing.coupons import coupon_results
from dre.pricing.messages import recommendation_message
from dre.pricing.result import Applied, Granted, Recommendation, Result
from dre.promotion.model import Promotion
from kernels import basket as kb
from kernels.answer_lines import Fragments, WrittenLines
from kernels.compile import compile_promotions
from kernels.config import BEST_DEAL_NODE_LIMIT, BEST_DEAL_WORK_LIMIT
from kernels.encode import EncodedBasket, encode
from kernels.line_discounts import LineDiscounts
from kernels.string_index import string_index

_EXHAUSTED_CACHE = 64  # distinct ctx.exhausted sets remembered per KernelSet


class KernelSet:
    """A compiled, immutable promotion set; results identical to ``dre.evaluate.ReferenceSet``.

    ``resolve`` and ``evaluate`` bound the best-deal search by BEST_DEAL_WORK_LIMIT, or by a smaller
    ``work_limit``; a Result whose search passed its bound has ``exact`` False (kernels.best_deal).
    Thread-safe: the kernels release the GIL (nogil) and read only immutable tables.

    Args:
        promotions: the tenant's promotions (any order).
        version: the set's version.
        n_shards: shard s owns the promotions ``ranked[i]`` with ``i % n_shards == s``.
        prices: article master prices (cents) for granted items whose action and ``ctx.prices``
            give none; None (the default) books them at 0 as the reference does.
    """

    def __init__(self, promotions: Sequence[Promotion], version: int = 1, n_shards: int = 1,
                 prices: Mapping[str, int] | None = None) -> None:
        self.version = version
        self.n_shards = n_shards
        self.compiled = compile_promotions(promotions)
        self._T = self.compiled.tables.flat  # the packed set every kernel takes
        self._strings = string_index(self.compiled.vocab.ids)  # the lines' ids in a large set
        self.ranked: list[Promotion] = list(self.compiled.ranked)
        self.by_id: dict[str, Promotion] = {p.id: p for p in self.ranked}
        self.prices: Mapping[str, int] = prices or {}
        self._ids = [p.id for p in self.ranked]
        # Per rank, what _result reads of every applied promotion: the ids, not the Promotion objects,
        # whose attribute reads miss the cache one by one in a large set; the granted items of the
        # few promotions that inject any, by rank (a small dict: no miss per applied promotion).
        self._injects = {i: p.injects for i, p in enumerate(self.ranked) if p.injects}
        self._index = {pid: i for i, pid in enumerate(self._ids)}
        self._fragments = Fragments(self.ranked)  # each promotion's discount JSON (kernels.answer_lines)
        self._no_exhausted = np.zeros(len(self.ranked), dtype=np.bool_)
        self._exhausted: dict[frozenset[str], np.ndarray] = {}
        self.last_nodes = 0  # best-deal branch nodes of the last basket priced (diagnostics)

    @property
    def tables(self):
        """The compiled set's tables (kernels.layout.Tables); kernels read ``tables.flat``."""
        return self.compiled.tables

    def exhausted_flags(self, exhausted: frozenset[str]) -> np.ndarray:
        """(P,) bool: promotions whose budget is used up, cached per distinct set."""
        if not exhausted:
            return self._no_exhausted
        flags = self._exhausted.get(exhausted)
        if flags is None:
            flags = np.zeros(len(self.ranked), dtype=np.bool_)
            for i, pid in enumerate(self._ids):
                if pid in exhausted:
                    flags[i] = True
            if len(self._exhausted) >= _EXHAUSTED_CACHE:
                self._exhausted.clear()
            self._exhausted[exhausted] = flags
        return flags

    def left_out_flags(self, ctx: Context) -> np.ndarray:
        """(P,) bool: the promotions priced without (``Context.left_out``): the cached flags of the
        used-up budgets, plus this customer's used-up ones (a copy: they differ per customer)."""
        flags = self.exhausted_flags(ctx.exhausted)
        if not ctx.customer_spent:
            return flags
        flags = flags.copy()
        for pid in ctx.customer_spent:
            i = self._index.get(pid)
            if i is not None:
                flags[i] = True
        return flags

    def encode(self, basket: Basket, ctx: Context) -> EncodedBasket:
        return encode(self.compiled.vocab, basket, ctx, self._strings)

    def prepare(self, basket: Basket, ctx: Context) -> Prepared:
        return Prepared(basket, ctx, self.encode(basket, ctx))

    def shard_candidates(self, shard: int, items: Sequence[Prepared]) -> list[np.ndarray]:
        if not 0 <= shard < self.n_shards:
            raise ValueError(f"shard {shard} not in 0..{self.n_shards - 1}")
        out = []
        for _, ctx, e in items:
            out.append(kb.shard_candidates(self._T, *e.args(), self.left_out_flags(ctx),
                                           shard, self.n_shards))
        return out

    def resolve(self, items: Sequence[Prepared], candidates: Sequence[np.ndarray],
                work_limit: int | None = None) -> list[Result]:
        out = []
        for item, cands in zip(items, candidates):
            kernel, finish = self.resolve_staged(item, cands, work_limit)
            out.append(finish(kernel()))
        return out

    def evaluate(self, basket: Basket, ctx: Context, work_limit: int | None = None) -> Result:
        kernel, finish = self.evaluate_staged(basket, ctx, work_limit)
        return finish(kernel())

    def resolve_staged(self, item: Prepared, candidates: np.ndarray, work_limit: int | None = None) -> Staged:
        """``kernel``: the one price_basket call (nogil); the candidates' sort and the Result here."""
        basket, ctx, e = item
        cands = np.ascontiguousarray(np.unique(candidates), dtype=np.int64)  # rank order, as the reference sorts
        kernel = functools.partial(kb.price_basket, self._T, cands, e.art, e.grp, e.milli, e.unit_price, e.gross,
                                   e.ctx, e.code_types, self.left_out_flags(ctx), True,
                                   BEST_DEAL_NODE_LIMIT, _work_limit(work_limit))
        return Staged(kernel, functools.partial(self._finish, basket, ctx, e))

    def evaluate_staged(self, basket: Basket, ctx: Context, work_limit: int | None = None) -> Staged:
        """``kernel``: the one evaluate_basket call (nogil); encoding (here) and the Result outside it."""
        e = self.encode(basket, ctx)
        kernel = functools.partial(kb.evaluate_basket, self._T, *e.args(), self.left_out_flags(ctx), True,
                                   BEST_DEAL_NODE_LIMIT, _work_limit(work_limit))
        return Staged(kernel, functools.partial(self._finish, basket, ctx, e))

    def _finish(self, basket: Basket, ctx: Context, e: EncodedBasket, raw: tuple) -> Result:
        return self._result(basket, ctx, e, *raw)

    def evaluate_sharded(self, basket: Basket, ctx: Context) -> Result:
        """Both phases through the shards, as the actors run them (for tests)."""
        return evaluate_in_phases(self, basket, ctx)

    def _result(self, basket: Basket, ctx: Context, e: EncodedBasket, disc: np.ndarray, applied: np.ndarray,
                _points: int, recs: np.ndarray, nodes: int, exact: bool) -> Result:
        """The Result of price_basket's arrays (its points total is the sum Result.points derives),
        with the rows that write its lines as JSON (kernels.answer_lines)."""
        self.last_nodes = int(nodes)
        ids = self._ids
        codes = basket.coupons
        new = _new
        # the promotions the rows name, each once (their fragments: kernels.answer_lines); the
        # lines' LineDiscounts are made only if something reads them (kernels.line_discounts)
        discounting = dict.fromkeys(disc[:, 1].tolist())
        # Applied(...) built by tuple.__new__ (see _new below): a large set's Result holds some 15-30
        # of them, and their generated __new__ (a Python call each) builds them at ~1.7 times the cost.
        took = []
        granted = []
        injects = self._injects
        for p, amount, pts, c, on_sale in applied.tolist():
            pid = ids[p]
            took.append(new(Applied, (pid, amount, pts, codes[c] if c >= 0 else None, on_sale != 0)))
            if not (on_sale and injects and p in injects):
                continue
            for g in injects[p]:
                price = g.unit_price
                if price is None:
                    price = ctx.prices.get(g.article, self.prices.get(g.article, 0))
                granted.append(Granted(g.article, g.milli, price, pid))
        recommendations = ()
        if recs.shape[0]:
            recommendations = tuple(sorted(
                (Recommendation(ids[p], amount, milli, saving, recommendation_message(self.ranked[p], amount, milli))
                 for p, amount, milli, saving in recs.tolist()),
                key=lambda r: (r.missing_amount, r.missing_milli, r.promotion_id)))
        return Result(
            lines=LineDiscounts(disc, ids, codes, len(basket.lines)),
            granted=tuple(granted),
            coupons=coupon_results(basket, ctx, took) if codes else (),
            recommendations=recommendations,
            applied=tuple(took),
            exact=bool(exact),
            lines_written=WrittenLines(basket, disc, discounting, e.milli, e.unit_price, e.gross, ids,
                                       self._fragments),
        )


def _work_limit(work_limit: int | None) -> int:
    """The best-deal work bound of one call: the set's own, or a tighter one asked for."""
    return BEST_DEAL_WORK_LIMIT if work_limit is None else min(work_limit, BEST_DEAL_WORK_LIMIT)


# A Result's Applied records (named tuples) are built by _result as tuple.__new__ of their fields,
# as their generated __new__ does after a Python call of its own (its LineDiscounts so too, by
# kernels.line_discounts, when read). The property tests compare whole Results with the reference
# evaluator's, which builds them through the class.
_new = tuple.__new__
