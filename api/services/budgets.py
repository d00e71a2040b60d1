"""Which promotions' budgets are used up, per tenant, read from the store at most ~once a second.

Evaluate may lag this much behind confirm (the contract allows it; confirm is the atomic check),
and in exchange pricing does not pay a Redis round trip per request.
"""
from __future__ import annotations

import trio

from actors.store import Store
from dre.errors import DREError

REFRESH_S = 1.0  # how stale the cached set may get before a request refreshes it
READ_TIMEOUT_S = 0.25  # a slow store does not hold up pricing: the stale set is used


class ExhaustedBudgets:
    """Per-tenant cache of ``store.budgets.exhausted``.

    One request per tenant refreshes an old entry while the others use the stale set, so a burst
    causes one store read, not one per request. A failed read keeps the old set (empty at first).
    """

    def __init__(self, store: Store, refresh_s: float = REFRESH_S) -> None:
        self._store = store
        self._refresh_s = refresh_s
        self._sets: dict[str, frozenset[str]] = {}
        self._read_at: dict[str, float] = {}
        self._reading: set[str] = set()

    async def get(self, tenant: str) -> frozenset[str]:
        """The tenant's exhausted promotion ids (possibly up to ``refresh_s`` old)."""
        now = trio.current_time()
        known = self._sets.get(tenant)
        if not self._store.available or tenant in self._reading or (
                known is not None and now - self._read_at.get(tenant, -1e9) < self._refresh_s):
            return known or frozenset()
        self._reading.add(tenant)
        try:
            with trio.move_on_after(READ_TIMEOUT_S):
                self._sets[tenant] = await self._store.budgets.exhausted(tenant)
        except DREError:
            pass  # store down: keep what we knew; the breaker makes the next tries cheap
        finally:
            self._reading.discard(tenant)
            self._read_at[tenant] = trio.current_time()
        return self._sets.get(tenant, frozenset())

    def invalidate(self, tenant: str) -> None:
        """Force a read on the next request (a confirm just exhausted a budget)."""
        self._read_at.pop(tenant, None)
