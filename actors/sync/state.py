"""A local instance's sync state in its own store: the feed cursor and when the last pull ended;
and the synced copies it writes (central's promotions as sent, its INDIVIDUAL coupon codes)."""
from __future__ import annotations

import uuid

import trio

from actors.store_ops.base import StorePart
from dre.store import keys, sync_keys


class SyncState(StorePart):
    """``SyncState(store.core)``: survives restarts, so a restarted instance pulls only the delta."""

    async def get(self, tenant: str) -> tuple[str | None, int | None]:
        """(cursor, lastSync in ms since the epoch); None where there was none yet."""
        key = sync_keys.sync_state(tenant)
        cursor, last = await self._core.call(lambda p: p.hmget(key, ["cursor", "lastSync"]))
        return cursor, int(last) if last else None

    async def put(self, tenant: str, cursor: str, last_sync_ms: int | None = None) -> None:
        key = sync_keys.sync_state(tenant)
        fields = {"cursor": cursor} if last_sync_ms is None else {"cursor": cursor, "lastSync": last_sync_ms}
        await self._core.call(lambda p: p.hset(key, mapping=fields))

    async def instance_id(self, tenant: str) -> str:
        """This instance's id at central (its leases are held under it): made once, then kept."""
        key = sync_keys.sync_state(tenant)
        fresh = uuid.uuid4().hex
        await self._core.call(lambda p: p.hsetnx(key, "instance", fresh))
        return await self._core.call(lambda p: p.hget(key, "instance"))

    async def central_promotions(self, tenant: str) -> dict[str, str]:
        """The promotions as central last sent them: id -> JSON."""
        key = sync_keys.central_promotions(tenant)
        return await self._core.call(lambda p: p.hgetall(key), dict)

    async def keep_central_promotions(self, tenant: str, documents: dict[str, str]) -> None:
        """Keep central's promotion set (replacing the one kept before)."""
        key = sync_keys.central_promotions(tenant)
        gone = set(await self.central_promotions(tenant)) - set(documents)
        if documents:
            await self._core.call(lambda p: p.hset(key, mapping=documents))
        if gone:
            await self._core.call(lambda p: p.hdel(key, *gone))

    async def mark_exhausted(self, tenant: str, promotion_ids: list[str]) -> None:
        """Add central's used-up budgets to the local exhausted set: evaluate here stops offering
        them as it would at central (a raised limit arrives as a promotion write, which judges
        the promotion again: promotions_write.lua)."""
        if promotion_ids:
            key = keys.exhausted_budgets(tenant)
            await self._core.call(lambda p: p.sadd(key, *promotion_ids))

    async def put_codes(self, tenant: str, codes: list[dict[str, str]]) -> int:
        """Write central's INDIVIDUAL coupon codes (``code_sync_put.lua``: a code this store used
        and central does not know of yet keeps its local state). Returns how many were written."""
        written = [0]

        async def put(fields: dict[str, str]) -> None:
            fields = dict(fields)
            held = fields.pop("heldEntry", "")
            args = [held, *(x for kv in sorted(fields.items()) for x in kv)]
            k = [keys.coupon(tenant, fields["code"]), keys.coupon_by_txn(tenant, fields["code"])]
            n = await self._core.call_script(self._core.scripts.code_sync_put, k, args, int)
            written[0] += n  # not `+= await`: that would read the count before the await

        async with trio.open_nursery() as nursery:  # one pipeline: the store actor batches them
            for fields in codes:
                if fields.get("code"):
                    nursery.start_soon(put, fields)
        return written[0]
