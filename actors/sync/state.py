"""A local instance's sync state in its own store: the feed cursor and when the last pull ended."""
from __future__ import annotations

from actors.store_ops.base import StorePart
from dre.store import sync_keys


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
