"""What evaluate knows of the promotions' budgets, per tenant, read from the store at most ~once a
second: which are used up, and what is left of each money budget.

Evaluate may lag this much behind confirm (the contract allows it; confirm is the atomic check),
and in exchange pricing does not pay a Redis round trip per request. A confirm on this worker
updates the remainders it consumed at once (confirm.lua answers them).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import trio

from actors.store import Store
from dre.errors import DREError

REFRESH_S = 1.0  # how stale the cached set may get before a request refreshes it
READ_TIMEOUT_S = 0.25  # a slow store does not hold up pricing: the stale set is used


@dataclass(frozen=True)
class BudgetKnowledge:
    exhausted: frozenset[str] = frozenset()  # promotion ids whose budget is used up
    remaining: Mapping[str, int] = field(default_factory=dict)  # cents left of money budgets (absent: all)


NOTHING_KNOWN = BudgetKnowledge()


class ExhaustedBudgets:
    """Per-tenant cache of ``store.budgets.exhausted`` and ``store.budgets.remaining``.

    One request per tenant refreshes an old entry while the others use the stale one, so a burst
    causes one store read (two commands), not one per request. A failed read keeps what was known
    (nothing at first).
    """

    def __init__(self, store: Store, refresh_s: float = REFRESH_S) -> None:
        self._store = store
        self._refresh_s = refresh_s
        self._known: dict[str, BudgetKnowledge] = {}
        self._read_at: dict[str, float] = {}
        self._reading: set[str] = set()

    async def known(self, tenant: str) -> BudgetKnowledge:
        """The tenant's used-up budgets and money remainders (possibly up to ``refresh_s`` old)."""
        now = trio.current_time()
        known = self._known.get(tenant)
        if not self._store.available or tenant in self._reading or (
                known is not None and now - self._read_at.get(tenant, -1e9) < self._refresh_s):
            return known or NOTHING_KNOWN
        self._reading.add(tenant)
        try:
            with trio.move_on_after(READ_TIMEOUT_S):
                exhausted = await self._store.budgets.exhausted(tenant)
                remaining = await self._store.budgets.remaining(tenant)
                self._known[tenant] = BudgetKnowledge(exhausted, remaining)
        except DREError:
            pass  # store down: keep what we knew; the breaker makes the next tries cheap
        finally:
            self._reading.discard(tenant)
            self._read_at[tenant] = trio.current_time()
        return self._known.get(tenant, NOTHING_KNOWN)

    async def get(self, tenant: str) -> frozenset[str]:
        """The tenant's exhausted promotion ids (possibly up to ``refresh_s`` old)."""
        return (await self.known(tenant)).exhausted

    def note(self, tenant: str, remaining: Mapping[str, int]) -> None:
        """What a confirm on this worker just left of the money budgets it consumed."""
        if remaining:
            known = self._known.get(tenant, NOTHING_KNOWN)
            self._known[tenant] = BudgetKnowledge(known.exhausted, {**known.remaining, **remaining})

    def invalidate(self, tenant: str) -> None:
        """Force a read on the next request (a confirm just exhausted a budget)."""
        self._read_at.pop(tenant, None)
