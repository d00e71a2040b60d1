"""Promotions: the tenant's promotion documents and their version counter (which coupon type
writes bump too: a type gates promotions)."""
from __future__ import annotations

import secrets
from collections.abc import Mapping

from actors.store_ops.base import StorePart
from dre.errors import Issue, conflict, not_found
from dre.store import keys
from dre.store.records import NO_LIMIT

SEED_CHUNK = 2000  # documents per store call of a seed (~0.6 MB: milliseconds of Redis each)
SEED_STAGING_TTL_S = 3600  # an abandoned seed's staging hash lasts this long
Limits = tuple[int, int]  # a promotion's budget: (amount limit in cents, redemption limit); NO_LIMIT: none


class Promotions(StorePart):
    """``store.promotions``: promotion documents by id, and the version every write bumps."""

    async def put(self, tenant: str, promotion_id: str, document: str,
                  limits: Limits = (NO_LIMIT, NO_LIMIT)) -> int:
        """Store a promotion (JSON) and bump the version. Returns the new version.

        ``limits`` are the written promotion's budget: if it was used up and these leave room (a
        raised budget), evaluate offers it again."""
        s = self._core.scripts.promotions_write
        return await self._core.call_script(s, _keys(tenant, promotion_id), ["put", promotion_id, document, *limits],
                                            lambda r: int(r[0]))

    async def create(self, tenant: str, promotion_id: str, document: str,
                     limits: Limits = (NO_LIMIT, NO_LIMIT)) -> int:
        """Store a new promotion and bump the version. Returns the new version.

        Raises DREError 409 ALREADY_EXISTS (nothing written) when the id is taken.
        """
        s = self._core.scripts.promotions_write
        version, changed = await self._core.call_script(s, _keys(tenant, promotion_id),
                                                        ["create", promotion_id, document, *limits])
        if not int(changed):
            raise conflict("ALREADY_EXISTS", f"promotion {promotion_id} exists",
                           [Issue("id", "a promotion with this id exists")])
        return int(version)

    async def seed(self, tenant: str, documents: Mapping[str, str]) -> int:
        """Write ``documents`` (id -> JSON) only if the tenant's promotions were never written
        (version 0), all in one step. Returns how many were written (0: not seeded).

        The documents go to a staging hash of this seed's own in chunks of SEED_CHUNK (each an
        ordinary store call), then promotions_write.lua moves them onto the tenant's promotions in
        one step, or drops them if another worker's seed (or an admin write) came first."""
        if not documents:
            return 0
        staging = keys.promotions_seed(tenant, secrets.token_hex(8))
        items = list(documents.items())
        for start in range(0, len(items), SEED_CHUNK):
            chunk = dict(items[start:start + SEED_CHUNK])
            await self._core.call(lambda p, chunk=chunk: p.hset(staging, mapping=chunk))
            if not start:  # a seed abandoned half-way (the worker stopped) leaves nothing behind for long
                await self._core.call(lambda p: p.expire(staging, SEED_STAGING_TTL_S))
        k = [keys.promotions(tenant), keys.promotions_version(tenant), keys.promotions_written(tenant), staging]
        return await self._core.call_script(self._core.scripts.promotions_write, k, ["seed-staged"],
                                            lambda r: int(r[1]))

    async def get(self, tenant: str, promotion_id: str) -> str | None:
        """One promotion's JSON, or None."""
        key = keys.promotions(tenant)
        return await self._core.call(lambda p: p.hget(key, promotion_id))

    async def delete(self, tenant: str, promotion_id: str) -> int:
        """Delete a promotion and bump the version. Raises DREError 404 if it does not exist."""
        s = self._core.scripts.promotions_write
        version, changed = await self._core.call_script(s, _keys(tenant, promotion_id), ["delete", promotion_id, ""])
        if not int(changed):
            raise not_found(f"promotion {promotion_id}")
        return int(version)

    async def all(self, tenant: str) -> dict[str, str]:
        """Every promotion of the tenant: id -> JSON."""
        key = keys.promotions(tenant)
        return await self._core.call(lambda p: p.hgetall(key), dict)

    async def written(self, tenant: str) -> bool:
        """Whether the tenant's promotions were ever written (then ``seed`` writes nothing): a
        restart asks this first instead of sending its whole promotion file to be refused."""
        key = keys.promotions_written(tenant)
        return await self._core.call(lambda p: p.exists(key), lambda r: bool(int(r)))

    async def version(self, tenant: str) -> int:
        """The version counter (0 before the first write)."""
        key = keys.promotions_version(tenant)
        return await self._core.call(lambda p: p.get(key), lambda r: int(r or 0))


def _keys(tenant: str, promotion_id: str) -> list[str]:
    """What promotions_write.lua touches for one promotion (put, create, delete)."""
    return [keys.promotions(tenant), keys.promotions_version(tenant), keys.promotions_written(tenant),
            keys.budget(tenant, promotion_id), keys.exhausted_budgets(tenant), keys.budget_remaining(tenant)]
