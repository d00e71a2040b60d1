"""Store settings: per store (``/admin/stores/{storeId}``) and the tenant's default for every other
store (``/admin/settings``), JSON documents such as ``{"timeZone": "Europe/Berlin"}``. A write bumps
the promotions version (store_settings_write.lua), so every worker's reloader picks the settings
up with the promotions: evaluate never reads them from the store."""
from __future__ import annotations

from actors.store_ops.base import StorePart
from dre.errors import not_found
from dre.store import keys


class StoreSettings(StorePart):
    """``store.stores``: store settings documents by storeId, and the tenant default."""

    async def put(self, tenant: str, store_id: str, document: str) -> tuple[int, bool]:
        """Store one store's settings (JSON); (new promotions version, created)."""
        version, created = await self._core.call_script(
            self._core.scripts.store_settings_write, _keys(tenant), ["put", store_id, document])
        return int(version), bool(int(created))

    async def delete(self, tenant: str, store_id: str) -> int:
        """Forget one store's settings (it follows the default again); the new version.
        Raises DREError 404 when the store has none."""
        version, deleted = await self._core.call_script(
            self._core.scripts.store_settings_write, _keys(tenant), ["delete", store_id])
        if not int(deleted):
            raise not_found(f"settings of store {store_id}")
        return int(version)

    async def put_default(self, tenant: str, document: str | None) -> int:
        """Set (or, with None, clear) the tenant's default settings; the new version."""
        return await self._core.call_script(self._core.scripts.store_settings_write, _keys(tenant),
                                            ["default", document or ""], lambda r: int(r[0]))

    async def get(self, tenant: str, store_id: str) -> str | None:
        """One store's settings JSON, or None."""
        key = keys.store_settings(tenant)
        return await self._core.call(lambda p: p.hget(key, store_id))

    async def all(self, tenant: str) -> dict[str, str]:
        """Every store's settings: storeId -> JSON."""
        key = keys.store_settings(tenant)
        return await self._core.call(lambda p: p.hgetall(key), dict)

    async def default(self, tenant: str) -> str | None:
        """The tenant's default settings JSON, or None."""
        key = keys.store_defaults(tenant)
        return await self._core.call(lambda p: p.get(key))


def _keys(tenant: str) -> list[str]:
    """What store_settings_write.lua touches."""
    return [keys.store_settings(tenant), keys.store_defaults(tenant), keys.promotions_version(tenant)]
