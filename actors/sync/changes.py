"""Central's change logs: which articles, and which coupon codes, were written after a feed cursor."""
from __future__ import annotations

import trio

from actors.store_ops.base import StorePart
from actors.store_ops.coupons import entry_json, live_entry_json
from dre.store import keys, sync_keys


class ChangeFeed(StorePart):
    """Pages of the tenant's article master in the order of their last write."""

    async def _after(self, log: str, cursor: int, limit: int) -> tuple[list[tuple[str, float]], bool]:
        """Up to ``limit`` (member, sequence) of change log ``log`` after ``cursor``, oldest first;
        and whether more follow."""
        changed = await self._core.call(
            lambda p: p.zrangebyscore(log, f"({cursor}", "+inf", start=0, num=limit + 1, withscores=True))
        return changed[:limit], len(changed) > limit

    async def articles_after(self, tenant: str, cursor: int, limit: int) -> tuple[list[tuple[str, str]], int, bool]:
        """Articles whose last write is after ``cursor``: ([(articleNumber, JSON)], next cursor,
        more). At most ``limit``; ``more`` when the log holds further changes."""
        changed, more = await self._after(sync_keys.article_changes(tenant), cursor, limit)
        if not changed:
            return [], cursor, False
        numbers = [n for n, _ in changed]
        master = keys.articles(tenant)
        docs = await self._core.call(lambda p: p.hmget(master, numbers))
        # an article rewritten between the two reads comes with its newer JSON (and again later)
        items = [(n, d) for n, d in zip(numbers, docs) if d is not None]
        return items, int(changed[-1][1]), more

    async def codes_after(self, tenant: str, cursor: int, limit: int) -> tuple[list[dict[str, str]], int, bool]:
        """The INDIVIDUAL coupon codes changed after ``cursor`` (the code change log, ``log_codes``), each
        as stored now (its hash): ([fields], next cursor, more). At most ``limit`` looked at."""
        changed, more = await self._after(sync_keys.code_changes(tenant), cursor, limit)
        if not changed:
            return [], cursor, False
        found: list[dict[str, str]] = [{} for _ in changed]

        async def read(i: int, code: str) -> None:
            found[i] = await self._core.call(lambda p: p.hgetall(keys.coupon(tenant, code)))

        async with trio.open_nursery() as nursery:  # one pipeline: the store actor batches them
            for i, (code, _) in enumerate(changed):
                nursery.start_soon(read, i, code)
        # a GENERIC code's state is its type's and its uses at central: not a store's to copy
        codes = [f for f in found if f and f.get("kind") == "INDIVIDUAL"]

        async def held(fields: dict[str, str]) -> None:
            """A reserved code comes with its holder's reservation entry (``heldEntry``), so that
            the transaction that reserved it at central can use it at the store. A store of this
            release reads it from the code's fields; one of an older release needs the entry."""
            live = live_entry_json(fields)
            if live is not None:
                fields["heldEntry"] = live
                return
            key = keys.coupon_by_txn(tenant, fields["code"])  # reserved before reservedFor existed
            entry = await self._core.call(lambda p: p.hget(key, fields["reservedTxn"]))
            if entry:
                fields["heldEntry"] = entry_json(entry)  # JSON: a store's release may be older

        async with trio.open_nursery() as nursery:
            for fields in codes:
                if fields.get("status") == "RESERVED" and fields.get("reservedTxn"):
                    nursery.start_soon(held, fields)
        return codes, int(changed[-1][1]), more
