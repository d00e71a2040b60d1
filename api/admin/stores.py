"""Store settings in the store: a store's time zone (``/admin/stores/{storeId}``) and the tenant's
default for every other store (``/admin/settings``). Validated on write, stored as the normalised
JSON of the body, picked up by every worker's reloader with the promotions (a write moves the
promotions version), so evaluate reads them from memory."""
from __future__ import annotations

import orjson

from api.admin.common import reload_now
from api.services import Services
from dre.errors import not_found
from dre.wire.store_settings import StoreSettingsIn


def _document(wire: StoreSettingsIn) -> str:
    return orjson.dumps(wire.model_dump(mode="json")).decode()


def _settings(document: str | None) -> dict:
    """A stored document as answered: every field, null where unset."""
    return StoreSettingsIn.model_validate(orjson.loads(document) if document else {}).model_dump(mode="json")


async def list_stores(services: Services, tenant: str) -> dict:
    """``{"stores": [{"storeId", ...settings}], "default": {...settings}}``, stores sorted by id."""
    stores = services.store.stores
    docs = await stores.all(tenant)
    default = await stores.default(tenant)
    return {"stores": [{"storeId": sid, **_settings(docs[sid])} for sid in sorted(docs)],
            "default": _settings(default)}


async def get_store(services: Services, tenant: str, store_id: str) -> dict:
    """One store's settings. Raises DREError 404 when it has none (it follows the default)."""
    doc = await services.store.stores.get(tenant, store_id)
    if doc is None:
        raise not_found(f"settings of store {store_id}")
    return {"storeId": store_id, **_settings(doc)}


async def put_store(services: Services, tenant: str, store_id: str, wire: StoreSettingsIn) -> tuple[dict, int, bool]:
    """Create or replace one store's settings; (answer, version, created)."""
    version, created = await services.store.stores.put(tenant, store_id, _document(wire))
    await reload_now(services, tenant)
    return {"storeId": store_id, **wire.model_dump(mode="json")}, version, created


async def delete_store(services: Services, tenant: str, store_id: str) -> int:
    """Forget one store's settings; the new version. Raises DREError 404."""
    version = await services.store.stores.delete(tenant, store_id)
    await reload_now(services, tenant)
    return version


async def get_default(services: Services, tenant: str) -> dict:
    """The tenant's default settings (every field null when none were set)."""
    return _settings(await services.store.stores.default(tenant))


async def put_default(services: Services, tenant: str, wire: StoreSettingsIn) -> tuple[dict, int]:
    """Replace the tenant's default settings; (answer, version)."""
    version = await services.store.stores.put_default(tenant, _document(wire))
    await reload_now(services, tenant)
    return wire.model_dump(mode="json"), version
