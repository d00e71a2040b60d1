"""Central's article change log: which articles were written after a feed cursor."""
from __future__ import annotations

from actors.store_ops.base import StorePart
from dre.store import keys, sync_keys


class ChangeFeed(StorePart):
    """Pages of the tenant's article master in the order of their last write."""

    async def articles_after(self, tenant: str, cursor: int, limit: int) -> tuple[list[tuple[str, str]], int, bool]:
        """Articles whose last write is after ``cursor``: ([(articleNumber, JSON)], next cursor,
        more). At most ``limit``; ``more`` when the log holds further changes."""
        log = sync_keys.article_changes(tenant)
        changed = await self._core.call(
            lambda p: p.zrangebyscore(log, f"({cursor}", "+inf", start=0, num=limit + 1, withscores=True))
        more = len(changed) > limit
        changed = changed[:limit]
        if not changed:
            return [], cursor, False
        numbers = [n for n, _ in changed]
        master = keys.articles(tenant)
        docs = await self._core.call(lambda p: p.hmget(master, numbers))
        # an article rewritten between the two reads comes with its newer JSON (and again later)
        items = [(n, d) for n, d in zip(numbers, docs) if d is not None]
        return items, int(changed[-1][1]), more
