"""Helpers shared by the admin operations."""
from __future__ import annotations

from api.services import Services


async def reload_now(services: Services, tenant: str) -> None:
    """Rebuild this worker's set after a write, so its next evaluate already sees the write
    (the other workers' reloaders see the version move within their poll interval)."""
    if services.reloader is not None:
        await services.reloader.refresh(tenant)
