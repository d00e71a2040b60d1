"""A local instance's side of lease returns: what it gives back of its budget leases.

The instance keeps the leases central last sent (cumulative, per promotion). Giving back the
unused rest of one is two steps: ``lease_release.lua`` counts the rest as consumed in the
instance's own budget counters (the ones its confirms check, so nothing sells it afterwards,
not even an iteration priced before) and keeps the return as pending, in the same atomic step;
then the syncer sends pending returns to central (``POST /admin/sync/leases/return``, once per
return id) and forgets those central took back. A later lease of the same promotion is
cumulative: what was released stays counted, the new share is the room.

A lease expires (``expiresAt``, central's clock, renewed by every pull): from SKEW_MARGIN_S
before that instant by this instance's clock, it sells nothing more of it, online or not - its
rest is released the same way (:meth:`LeaseReturns.release_expired`, every poll), and given back
when central answers (central reclaims it itself a grace period after the expiry). The margin
covers this clock running behind central's, and the second between two polls.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable

import orjson

from actors.store_ops.base import StorePart
from dre.money import to_minor
from dre.store import keys, sync_keys
from dre.store.records import NO_LIMIT

SKEW_MARGIN_S = 300.0  # a lease counts as expired here this long before its expiry (clock skew)


class LeaseReturns(StorePart):
    """``LeaseReturns(store.core)`` (a local instance)."""

    async def keep(self, tenant: str, leases: dict[str, dict]) -> None:
        """Keep the leases of a feed page ({promotionId: {amount (major), redemptions}})."""
        if leases:
            docs = {pid: orjson.dumps(lease).decode() for pid, lease in leases.items()}
            await self._core.call(lambda p: p.hset(sync_keys.local_leases(tenant), mapping=docs))

    async def release_all(self, tenant: str) -> int:
        """Stop selling the unused rest of every lease, to give it back. Returns how many
        promotions had a rest (each now a pending return)."""
        return await self._release(tenant, lambda lease: True)

    async def release_expired(self, tenant: str, now_ms: int, margin_s: float = SKEW_MARGIN_S) -> int:
        """Stop selling the unused rest of every lease whose ``expiresAt`` is at most ``margin_s``
        after ``now_ms`` (this instance's clock), to give it back. Returns how many promotions
        had a rest (a lease without an expiry, from an older central, never expires)."""
        until = now_ms + int(margin_s * 1000)
        return await self._release(tenant, lambda lease: lease.get("expiresAt") is not None
                                   and lease["expiresAt"] <= until)

    async def _release(self, tenant: str, due: Callable[[dict], bool]) -> int:
        kept = await self._core.call(lambda p: p.hgetall(sync_keys.local_leases(tenant)))
        released = 0
        for pid, doc in sorted(kept.items()):
            lease = orjson.loads(doc)
            if not due(lease):
                continue
            amount = NO_LIMIT if lease.get("amount") is None else to_minor(lease["amount"])
            redemptions = NO_LIMIT if lease.get("redemptions") is None else int(lease["redemptions"])
            k = [keys.budget(tenant, pid), sync_keys.lease_returns_pending(tenant), keys.exhausted_budgets(tenant)]
            r = await self._core.call_script(self._core.scripts.lease_release, k,
                                             [pid, amount, redemptions, uuid.uuid4().hex])
            released += bool(int(r[0]) or int(r[1]))
        return released

    async def pending(self, tenant: str) -> list[dict]:
        """Returns released here and not yet taken back by central."""
        found = await self._core.call(lambda p: p.hgetall(sync_keys.lease_returns_pending(tenant)))
        return [orjson.loads(found[k]) for k in sorted(found)]

    async def settle(self, tenant: str, return_ids: list[str]) -> None:
        """Forget returns central took back."""
        if return_ids:
            await self._core.call(lambda p: p.hdel(sync_keys.lease_returns_pending(tenant), *return_ids))
