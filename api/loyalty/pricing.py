"""Points of a POS event priced on the engine's lanes, like evaluate: off the event loop, under the
pricing deadline, the best-deal search bounded by work (actors.engine).

The engine prices with a set of the tenant's LOYALTY promotions only (dre.loyalty.points says why
the other types stay out), built once per version of the tenant's set, in a worker thread, and
dropped with it (a weak reference to the full set keys it).
"""
from __future__ import annotations

from collections.abc import Mapping
from weakref import WeakKeyDictionary

import trio

from actors.engine import Engine, build_promotion_set
from dre.loyalty import PosEvent, loyalty_promotions, parts, points_of
from dre.pricing import Context, PromotionSet

_LOYALTY_SETS: WeakKeyDictionary[PromotionSet, PromotionSet] = WeakKeyDictionary()


async def loyalty_set(engine: Engine, pset: PromotionSet) -> PromotionSet:
    """The set of ``pset``'s LOYALTY promotions (same version), built on first use."""
    found = _LOYALTY_SETS.get(pset)
    if found is None:
        found = await trio.to_thread.run_sync(build_promotion_set, loyalty_promotions(pset), pset.version,
                                              engine.n_shards)
        _LOYALTY_SETS[pset] = found  # two events racing here build it twice: harmless
    return found


async def price_points(engine: Engine, pset: PromotionSet, event: PosEvent, ctx: Context,
                       groups: Mapping[str, str] | None = None) -> tuple[int, dict[str, int]]:
    """(pointsEarned, {promotion id: points}) of ``event`` under ``pset``.
    Raises DREError 503 when the engine cannot price within the deadline."""
    lset = await loyalty_set(engine, pset)
    priced = [(await engine.price_with(lset, basket, ctx), sign) for basket, sign in parts(event, groups=groups)]
    return points_of(priced, lset.by_id)
