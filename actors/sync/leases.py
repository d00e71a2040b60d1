"""Budget leases (central): each local instance holds a share of every budgeted promotion, taken
out of the budget when granted, so that the stores' offline sales together never overrun it.

An instance enforces its cumulative lease as the promotion's budget on its own sales (its local
budget counters count every sale it made), so it sells a promotion only within what it was
leased. Its forwarded sales then consume nothing more of the budget; they count as used of the
lease (once per transaction). A confirm central judges first (strict, while it answers) is
taken from the lease only while the lease has room for it (:meth:`Leases.take`); past it, it
consumes the budget itself. An instance gives back what it will not sell (on shutdown:
``actors.sync.lease_returns``), and that is no longer consumed. The budget's stored consumed
figures therefore hold real sales plus outstanding leases (leased, not yet known to be sold nor
given back); the budget route and ``GET /admin/sync/leases`` show them apart (:func:`outstanding`).

A lease expires ``ttl`` after its last grant or renewal (each pull renews it); its instance
stops selling from it then, even offline, and central reclaims its unused rest once the expiry
is a grace period past (:meth:`Leases.expire`): a lease of an instance gone for good does not
stay outstanding. Reclaimed counts as returned (and as expired).
"""
from __future__ import annotations

from dataclasses import dataclass

from actors.store_ops.base import StorePart
from dre.store import keys, sync_keys
from dre.store.records import NO_LIMIT


NO_LEASE, USED, LATE = 0, 1, 2  # what Leases.use found


@dataclass(frozen=True)
class Lease:
    """What one instance holds of one promotion's budget (None: the budget sets no such limit)."""

    amount: int | None  # cents leased so far, cumulative
    redemptions: int | None
    expires_at: int = 0  # epoch ms (central's clock): no sales from it after this; 0: nothing leased


class Leases(StorePart):
    """``Leases(store.core)`` (central)."""

    async def grant(self, tenant: str, instance: str, promotion_id: str, limits: tuple[int, int],
                    shares: tuple[int, int], now_ms: int, ttl_ms: int) -> Lease:
        """Grant or renew ``instance``'s lease of a promotion whose budget has ``limits`` (amount
        cents, redemptions; NO_LIMIT where none), by ``shares``, and set its expiry to ``now_ms``
        + ``ttl_ms``. Returns its cumulative lease."""
        k = [keys.budget(tenant, promotion_id), sync_keys.lease(tenant, promotion_id),
             sync_keys.leased_promotions(tenant), keys.exhausted_budgets(tenant)]

        def parse(r: list) -> Lease:
            a, red = (None if int(v) == NO_LIMIT else int(v) for v in r[:2])
            return Lease(a, red, int(r[2]))

        return await self._core.call_script(self._core.scripts.lease_grant, k,
                                            [instance, promotion_id, *limits, *shares, now_ms, ttl_ms], parse)

    async def use(self, tenant: str, instance: str, promotion_id: str, txn_key: str, amount: int,
                  confirmed_ms: int, limits: tuple[int, int]) -> int:
        """Count a forwarded sale (confirmed at ``confirmed_ms`` by the store's clock) against
        ``instance``'s lease, once. Returns USED (within the lease: it consumes nothing more),
        LATE (sold on a lease reclaimed since: it consumed the budget itself, past the limit if it
        must) or NO_LEASE (the sale consumes the budget itself)."""
        k = [sync_keys.lease(tenant, promotion_id), sync_keys.lease_uses(tenant, promotion_id),
             keys.budget(tenant, promotion_id), keys.exhausted_budgets(tenant)]
        return await self._core.call_script(self._core.scripts.lease_use, k,
                                            [instance, txn_key, max(0, amount), confirmed_ms, promotion_id, *limits],
                                            int)

    async def take(self, tenant: str, instance: str, promotion_id: str, txn_key: str, amount: int,
                   now_ms: int) -> tuple[bool, bool]:
        """A strict confirm (central judges it first): take the sale from ``instance``'s lease if
        the lease has room for it (and, for a redemption-count budget, one redemption), once per
        transaction (``lease_take.lua``). Returns (taken: it goes against the lease, consuming
        nothing of the budget; fresh: decided by this call, see :meth:`untake`)."""
        k = [sync_keys.lease(tenant, promotion_id), sync_keys.lease_uses(tenant, promotion_id)]
        return await self._core.call_script(self._core.scripts.lease_take, k,
                                            [instance, txn_key, max(0, amount), now_ms],
                                            lambda r: (bool(int(r[0])), bool(int(r[1]))))

    async def untake(self, tenant: str, instance: str, promotion_id: str, txn_key: str, amount: int) -> None:
        """Undo this call's :meth:`take` (fresh) for a commit that was refused: the sale taken is
        given back to the lease, the decision forgotten (``lease_untake.lua``)."""
        k = [sync_keys.lease(tenant, promotion_id), sync_keys.lease_uses(tenant, promotion_id)]
        await self._core.call_script(self._core.scripts.lease_untake, k, [instance, txn_key, max(0, amount)], int)

    async def taken(self, tenant: str, promotion_ids: list[str], txn_key: str) -> list[str]:
        """Of ``promotion_ids``, those whose sale in transaction ``txn_key`` was counted against a
        lease (what :meth:`take` or :meth:`use` recorded as sold under the lease)."""
        out = []
        for pid in promotion_ids:
            if await self._core.call(lambda p, pid=pid: p.hget(sync_keys.lease_uses(tenant, pid), txn_key)) == "1":
                out.append(pid)
        return out

    async def expire(self, tenant: str, promotion_id: str, limits: tuple[int, int], now_ms: int, grace_ms: int,
                     ttl_ms: int) -> int:
        """Reclaim the unused rest of every lease of the promotion that expired at least
        ``grace_ms`` before ``now_ms`` (``limits``: the budget's, NO_LIMIT where none). Returns
        how many instances' leases were reclaimed."""
        k = [keys.budget(tenant, promotion_id), sync_keys.lease(tenant, promotion_id), keys.exhausted_budgets(tenant)]
        return await self._core.call_script(self._core.scripts.lease_expire, k,
                                            [promotion_id, now_ms, grace_ms, ttl_ms, *limits], int)

    async def leased_ids(self, tenant: str) -> list[str]:
        """The promotions ever leased (sorted)."""
        return sorted(await self._core.call(lambda p: p.smembers(sync_keys.leased_promotions(tenant))))

    async def give_back(self, tenant: str, instance: str, promotion_id: str, return_id: str,
                        amount: int, redemptions: int, limits: tuple[int, int]) -> tuple[int, int] | None:
        """Take back what ``instance`` returns of its lease (at most its outstanding rest), once per
        ``return_id``; ``limits`` are the budget's (NO_LIMIT where none). Returns (amount,
        redemptions) taken back, or None for a return taken back before."""
        k = [keys.budget(tenant, promotion_id), sync_keys.lease(tenant, promotion_id),
             sync_keys.lease_returns(tenant, promotion_id), keys.exhausted_budgets(tenant)]
        r = await self._core.call_script(self._core.scripts.lease_return, k,
                                         [instance, promotion_id, return_id, max(0, amount), max(0, redemptions),
                                          *limits])
        return (int(r[1]), int(r[2])) if int(r[0]) else None

    async def of(self, tenant: str, promotion_id: str) -> dict[str, dict[str, int]]:
        """instance -> {amount, redemptions, usedAmount, usedRedemptions, returnedAmount,
        returnedRedemptions (of which expiredAmount, expiredRedemptions: reclaimed at expiry),
        expiresAt, reclaimedAt (epoch ms)} of one promotion ({} when never leased)."""
        raw = await self._core.call(lambda p: p.hgetall(sync_keys.lease(tenant, promotion_id)))
        out: dict[str, dict[str, int]] = {}
        for field, value in raw.items():
            instance, _, name = field.rpartition(":")
            out.setdefault(instance, {})[name] = int(value)
        return out

    async def all(self, tenant: str) -> dict[str, dict[str, dict[str, int]]]:
        """promotion id -> :meth:`of` that promotion."""
        return {pid: found for pid in await self.leased_ids(tenant) if (found := await self.of(tenant, pid))}


def outstanding(by_instance: dict[str, dict[str, int]], limit: str) -> int:
    """What the instances hold of a budget's ``limit`` ("amount" cents, or "redemptions") and have
    neither sold (as forwarded sales tell) nor given back: counted in the budget's stored
    consumed figure, not a sale."""
    used, back = "used" + limit.capitalize(), "returned" + limit.capitalize()
    return sum(max(0, v[limit] - v.get(used, 0) - v.get(back, 0)) for v in by_instance.values() if limit in v)
