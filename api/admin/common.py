"""Helpers shared by the admin operations."""
from __future__ import annotations

from actors.store import Store
from api.services import Services
from dre.store.replies import store_unavailable


def require_store(services: Services) -> Store:
    """The store, or DREError 503: admin data lives only in the store (no local fallback)."""
    if services.store is None:
        raise store_unavailable("this service runs without a store: admin data cannot be read or written")
    return services.store


async def reload_now(services: Services, tenant: str) -> None:
    """Rebuild this worker's set after a write, so its next evaluate already sees the write
    (the other workers' reloaders see the version move within their poll interval)."""
    if services.reloader is not None:
        await services.reloader.refresh(tenant)
