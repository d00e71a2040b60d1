"""Promotion budgets: what each has consumed (confirm.lua consumes them), which are used up and what
is left of each money budget."""
from __future__ import annotations

from collections.abc import Sequence

from actors.store_ops.base import StorePart
from dre.store import keys
from dre.store.records import BudgetState


class Budgets(StorePart):
    """``store.budgets``: the tenant's promotion budgets (read only: confirm consumes them)."""

    async def get(self, tenant: str, promotion_id: str) -> BudgetState:
        """What a promotion's budget has consumed so far (0 / 0 if never touched)."""
        key = keys.budget(tenant, promotion_id)

        def parse(r: list) -> BudgetState:
            return BudgetState(promotion_id, int(r[0] or 0), int(r[1] or 0))

        return await self._core.call(lambda p: p.hmget(key, ["amount_consumed", "redemptions_consumed"]), parse)

    async def exhausted(self, tenant: str) -> frozenset[str]:
        """Ids of the tenant's promotions whose budget is used up (evaluate skips them)."""
        key = keys.exhausted_budgets(tenant)
        return await self._core.call(lambda p: p.smembers(key), frozenset)

    async def customer_usage(self, tenant: str, customer_id: str,
                             promotion_ids: Sequence[str]) -> dict[str, int]:
        """How often ``customer_id`` has redeemed each of ``promotion_ids`` (confirmed
        transactions): one script call whatever their number (customer_usage.lua)."""
        if not promotion_ids:
            return {}
        k = [keys.budget_customers(tenant, pid) for pid in promotion_ids]
        return await self._core.call_script(self._core.scripts.customer_usage, k, [customer_id],
                                            lambda r: dict(zip(promotion_ids, map(int, r))))

    async def remaining(self, tenant: str) -> dict[str, int]:
        """Cents left of each money budget, by promotion id, as confirms and promotion writes left
        them (a promotion absent here has its whole amount limit left)."""
        key = keys.budget_remaining(tenant)
        return await self._core.call(lambda p: p.hgetall(key), lambda r: {k: int(v) for k, v in r.items()})
