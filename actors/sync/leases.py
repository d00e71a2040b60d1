"""Budget leases (central): each local instance holds a share of every budgeted promotion, taken
out of the budget when granted, so that the stores' offline sales together never overrun it.

An instance enforces its cumulative lease as the promotion's budget on its own sales (its local
budget counters count every sale it made), so it sells a promotion only within what it was
leased. Its forwarded sales then consume nothing more of the budget; they count as used of the
lease (once per transaction). The budget's consumed figures therefore hold real sales plus
outstanding leases (leased, not yet known to be sold); ``GET /admin/sync/leases`` shows them apart.
"""
from __future__ import annotations

from dataclasses import dataclass

from actors.store_ops.base import StorePart
from dre.store import keys, sync_keys
from dre.store.records import NO_LIMIT


@dataclass(frozen=True)
class Lease:
    """What one instance holds of one promotion's budget (None: the budget sets no such limit)."""

    amount: int | None  # cents leased so far, cumulative
    redemptions: int | None


class Leases(StorePart):
    """``Leases(store.core)`` (central)."""

    async def grant(self, tenant: str, instance: str, promotion_id: str, limits: tuple[int, int],
                    shares: tuple[int, int]) -> Lease:
        """Grant or renew ``instance``'s lease of a promotion whose budget has ``limits`` (amount
        cents, redemptions; NO_LIMIT where none), by ``shares``. Returns its cumulative lease."""
        k = [keys.budget(tenant, promotion_id), sync_keys.lease(tenant, promotion_id),
             sync_keys.leased_promotions(tenant), keys.exhausted_budgets(tenant)]

        def parse(r: list) -> Lease:
            return Lease(*(None if int(v) == NO_LIMIT else int(v) for v in r))

        return await self._core.call_script(self._core.scripts.lease_grant, k,
                                            [instance, promotion_id, *limits, *shares], parse)

    async def use(self, tenant: str, instance: str, promotion_id: str, txn_key: str, amount: int) -> bool:
        """Count a forwarded sale against ``instance``'s lease, once. False: it holds no lease of
        this promotion (the sale consumes the budget itself)."""
        k = [sync_keys.lease(tenant, promotion_id), sync_keys.lease_uses(tenant, promotion_id)]
        return await self._core.call_script(self._core.scripts.lease_use, k, [instance, txn_key, max(0, amount)],
                                            lambda r: bool(int(r)))

    async def all(self, tenant: str) -> dict[str, dict[str, dict[str, int]]]:
        """promotion id -> instance -> {amount, redemptions, usedAmount, usedRedemptions}."""
        ids = sorted(await self._core.call(lambda p: p.smembers(sync_keys.leased_promotions(tenant))))
        out: dict[str, dict[str, dict[str, int]]] = {}
        for pid in ids:
            raw = await self._core.call(lambda p, key=sync_keys.lease(tenant, pid): p.hgetall(key))
            for field, value in raw.items():
                instance, _, name = field.rpartition(":")
                out.setdefault(pid, {}).setdefault(instance, {})[name] = int(value)
        return out
