"""Master data: promotions (with a version counter) and articles."""
from __future__ import annotations

from typing import Mapping, Sequence

from actors.store_ops.base import CallsStore
from dre.errors import Issue, conflict, not_found
from dre.store import keys


class CatalogOps:
    async def promotion_put(self: CallsStore, tenant: str, promotion_id: str, document: str) -> int:
        """Store a promotion (JSON) and bump the version. Returns the new version."""
        k = [keys.promotions(tenant), keys.promotions_version(tenant), keys.promotions_written(tenant)]
        s = self.scripts.promotions_write
        return await self.call_script(s, k, ["put", promotion_id, document], lambda r: int(r[0]))

    async def promotion_create(self: CallsStore, tenant: str, promotion_id: str, document: str) -> int:
        """Store a new promotion and bump the version. Returns the new version.

        Raises DREError 409 ALREADY_EXISTS (nothing written) when the id is taken.
        """
        k = [keys.promotions(tenant), keys.promotions_version(tenant), keys.promotions_written(tenant)]
        s = self.scripts.promotions_write
        version, changed = await self.call_script(s, k, ["create", promotion_id, document])
        if not int(changed):
            raise conflict("ALREADY_EXISTS", f"promotion {promotion_id} exists",
                           [Issue("id", "a promotion with this id exists")])
        return int(version)

    async def promotions_seed(self: CallsStore, tenant: str, documents: Mapping[str, str]) -> int:
        """Write ``documents`` (id -> JSON) only if the tenant's promotions were never written
        (version 0), all in one step. Returns how many were written (0: not seeded)."""
        if not documents:
            return 0
        k = [keys.promotions(tenant), keys.promotions_version(tenant), keys.promotions_written(tenant)]
        args: list[str] = ["seed"]
        for pid, doc in documents.items():
            args += [pid, doc]
        return await self.call_script(self.scripts.promotions_write, k, args, lambda r: int(r[1]))

    async def promotion_get(self: CallsStore, tenant: str, promotion_id: str) -> str | None:
        """One promotion's JSON, or None."""
        key = keys.promotions(tenant)
        return await self.call(lambda p: p.hget(key, promotion_id))

    async def promotion_delete(self: CallsStore, tenant: str, promotion_id: str) -> int:
        """Delete a promotion and bump the version. Raises DREError 404 if it does not exist."""
        k = [keys.promotions(tenant), keys.promotions_version(tenant), keys.promotions_written(tenant)]
        s = self.scripts.promotions_write
        version, changed = await self.call_script(s, k, ["delete", promotion_id, ""])
        if not int(changed):
            raise not_found(f"promotion {promotion_id}")
        return int(version)

    async def promotions_all(self: CallsStore, tenant: str) -> dict[str, str]:
        """Every promotion of the tenant: id -> JSON."""
        key = keys.promotions(tenant)
        return await self.call(lambda p: p.hgetall(key), dict)

    async def promotions_version(self: CallsStore, tenant: str) -> int:
        """The version counter (0 before the first write)."""
        key = keys.promotions_version(tenant)
        return await self.call(lambda p: p.get(key), lambda r: int(r or 0))

    async def articles_put(self: CallsStore, tenant: str, articles: Mapping[str, str]) -> int:
        """Upsert articles (articleNumber -> JSON). Returns how many were new."""
        if not articles:
            return 0
        key = keys.articles(tenant)
        data = dict(articles)
        return await self.call(lambda p: p.hset(key, mapping=data), int)

    async def articles_upsert(self: CallsStore, tenant: str, articles: Sequence[tuple[str, str]]) -> list[bool]:
        """Upsert (articleNumber, JSON) pairs in order, in one step. Returns, per pair, True if
        the article was created, False if it replaced one (a number given twice: True, False)."""
        if not articles:
            return []
        args: list[str] = []
        for number, doc in articles:
            args += [number, doc]
        s = self.scripts.articles_upsert
        return await self.call_script(s, [keys.articles(tenant)], args, lambda r: [c == "1" for c in r])

    async def articles_get(self: CallsStore, tenant: str, numbers: Sequence[str]) -> list[str | None]:
        """Articles (JSON or None) for the given article numbers, in order."""
        if not numbers:
            return []
        key = keys.articles(tenant)
        wanted = list(numbers)
        return await self.call(lambda p: p.hmget(key, wanted), list)
