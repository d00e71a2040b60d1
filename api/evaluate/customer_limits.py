"""Which promotions this basket's customer has used up (budget.perCustomerRedemptions), read from
the store once per evaluate, so the customer is not offered them again (confirm would refuse)."""
from __future__ import annotations

import weakref

import trio

from actors.store import Store
from dre.basket import Basket
from dre.errors import DREError
from dre.pricing import PromotionSet
from dre.promotion.model import per_customer_limits

READ_TIMEOUT_S = 0.25  # past this the usage counts as unknown (zero) rather than holding up pricing

# Per promotion set (immutable): its promotions with a per-customer limit, (id, limit) by id.
_LIMITED: weakref.WeakKeyDictionary[PromotionSet, tuple[tuple[str, int], ...]] = weakref.WeakKeyDictionary()


def limited(pset: PromotionSet) -> tuple[tuple[str, int], ...]:
    """The set's promotions with a per-customer limit, as (id, limit), computed once per set
    (or known in advance: a start-up set from the promotion cache, dre.evaluate.packed_set)."""
    out = getattr(pset, "per_customer_limits", None)
    if out is None:
        out = _LIMITED.get(pset)
    if out is None:
        out = _LIMITED[pset] = per_customer_limits(pset.ranked)
    return out


async def customer_spent(store: Store, tenant: str, basket: Basket, pset: PromotionSet) -> frozenset[str]:
    """Ids of the promotions of ``pset`` this basket's customer has redeemed as often as its
    per-customer limit allows: one store call (customer_usage.lua) for all of them.

    Nothing to read (no customerId, no such promotion, no store): empty. A store that cannot be
    read in time (down, slow) gives an empty set too: the basket is priced as if the customer had
    used none, and confirm, the atomic check, refuses a promotion over the limit.
    """
    limits = limited(pset)
    if not basket.customer_id or not limits or not store.available:
        return frozenset()
    with trio.move_on_after(READ_TIMEOUT_S):
        try:
            used = await store.budgets.customer_usage(tenant, basket.customer_id, [pid for pid, _ in limits])
        except DREError:
            return frozenset()
        return frozenset(pid for pid, limit in limits if used.get(pid, 0) >= limit)
    return frozenset()
