"""Articles: the tenant's article master (articleNumber -> JSON), which evaluate reads for lines
without an articleGroupId."""
from __future__ import annotations

from typing import Mapping, Sequence

import orjson

from actors.store_ops.base import StorePart
from dre.store import keys, sync_keys


class Articles(StorePart):
    """``store.articles``: the article master, by article number."""

    async def put(self, tenant: str, articles: Mapping[str, str]) -> int:
        """Upsert articles (articleNumber -> JSON). Returns how many were new."""
        if not articles:
            return 0
        key = keys.articles(tenant)
        data = dict(articles)
        return await self._core.call(lambda p: p.hset(key, mapping=data), int)

    async def upsert(self, tenant: str, articles: Sequence[tuple[str, str]]) -> list[bool]:
        """Upsert (articleNumber, JSON) pairs in order, in one step. Returns, per pair, True if
        the article was created, False if it replaced one (a number given twice: True, False)."""
        if not articles:
            return []
        args: list[str] = []
        for number, doc in articles:
            args += [number, doc]
        s = self._core.scripts.articles_upsert
        k = [keys.articles(tenant), sync_keys.article_changes(tenant), sync_keys.article_seq(tenant)]
        return await self._core.call_script(s, k, args, lambda r: [c == "1" for c in r])

    async def get(self, tenant: str, numbers: Sequence[str]) -> list[str | None]:
        """Articles (JSON or None) for the given article numbers, in order."""
        if not numbers:
            return []
        key = keys.articles(tenant)
        wanted = list(numbers)
        return await self._core.call(lambda p: p.hmget(key, wanted), list)

    async def groups(self, tenant: str, numbers: Sequence[str]) -> dict[str, str]:
        """articleNumber -> articleGroupId for those of ``numbers`` the master has with a group
        (lines that carry no group of their own are priced with it)."""
        found = {}
        for number, doc in zip(numbers, await self.get(tenant, numbers)):
            group = orjson.loads(doc).get("articleGroupId") if doc else None
            if group:
                found[number] = group
        return found
