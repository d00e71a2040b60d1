"""Central's side of forwarded transactions: the iteration a local instance priced, kept so that
confirm.lua commits it; and what conflicted when it was accepted (recorded once)."""
from __future__ import annotations

import orjson

from actors.store_ops.base import TXN_TTL_S, StorePart, ms
from dre.store import keys, sync_keys

KEPT, REPLAY, TAKEN = 1, 0, -1  # sync_iteration_put.lua's answers
MAX_LISTED = 1000  # conflicts one GET lists


class ForwardedTransactions(StorePart):
    """``ForwardedTransactions(store.core)`` (central)."""

    async def keep_iteration(self, tenant: str, txn_id: str, counter: int, iteration: dict) -> int:
        """Keep ``iteration`` as the transaction's latest, under ``counter``. Returns KEPT, REPLAY
        (confirmed already) or TAKEN (central issued a later counter of this transactionId).

        Two slots (dre.store.keys): the confirmed and done markers are the tenant's, asked first
        (confirm.lua, judging only); the counter and iterations are the transaction's
        (sync_iteration_put.lua). A confirm landing in between is judged again by the commit.
        """
        if await self.confirmed(tenant, txn_id, counter):
            return REPLAY
        k = [keys.txn_counter(tenant, txn_id), keys.txn_iterations(tenant, txn_id), keys.txn_answer(tenant, txn_id)]
        s = self._core.scripts.sync_iteration_put
        return await self._core.call_script(s, k, [counter, orjson.dumps(iteration).decode(), ms(TXN_TTL_S)], int)

    async def confirmed(self, tenant: str, txn_id: str, counter: int) -> bool:
        """Is the transaction confirmed already (its commit would be a replay)? Asked of the
        tenant's slot (confirm.lua, judging only)."""
        none = keys.none_key(tenant)
        judged = await self._core.call_batched(
            self._core.scripts.confirm, [none, none, keys.txn_confirmed(tenant, txn_id), none],
            [txn_id, counter, "", 0, 0, ""])
        return judged[0] != "CONFIRMABLE"

    async def record_conflicts(self, tenant: str, txn_key: str, record: dict) -> bool:
        """Record (or replace) a transaction's conflicts; it is listed once. False: listed before."""
        k = [sync_keys.conflicts(tenant), sync_keys.conflict(tenant, txn_key)]
        s = self._core.scripts.sync_conflict_add
        return await self._core.call_script(s, k, [txn_key, orjson.dumps(record).decode()], lambda r: bool(int(r)))

    async def conflicts_of(self, tenant: str, txn_key: str) -> dict | None:
        key = sync_keys.conflict(tenant, txn_key)
        return await self._core.call(lambda p: p.get(key), lambda r: orjson.loads(r) if r else None)

    async def conflicts(self, tenant: str, start: int = 0, limit: int = MAX_LISTED) -> list[dict]:
        """Recorded conflict records, oldest first."""
        ids = await self._core.call(lambda p: p.lrange(sync_keys.conflicts(tenant), start, start + limit - 1))
        if not ids:
            return []
        names = [sync_keys.conflict(tenant, i) for i in ids]
        docs = await self._core.call(lambda p: p.mget(names))
        return [orjson.loads(d) for d in docs if d]
