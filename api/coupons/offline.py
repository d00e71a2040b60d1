"""Coupon calls at a store's local instance while central is away: a code of a type whose
``offlinePolicy`` is not ACCEPT is refused (reason OFFLINE_REFUSED; see docs/local-store.md).
Decided by ``LocalInstance.refused_types``; nothing is refused at central or while central answers."""
from __future__ import annotations

from actors.store_ops.coupons import type_of
from api.evaluate.coupons import OFFLINE_REFUSED
from api.services import Services
from dre.errors import Issue, conflict


async def refused_offline(services: Services, type_id: str | None) -> bool:
    """Is a code of ``type_id`` refused here now?"""
    if services.local is None or not type_id:
        return False
    return type_id in await services.local.refused_types()


async def refuse_offline(services: Services, tenant: str, code: str) -> None:
    """Raise 409 COUPON_UNAVAILABLE (issue OFFLINE_REFUSED) for a code refused here now."""
    if services.local is None:
        return
    if await refused_offline(services, await type_of(services.store.core, tenant, code)):
        raise conflict("COUPON_UNAVAILABLE", f"coupon {code} is not accepted while the store is offline "
                                             "(its type's offlinePolicy is REFUSE)", [Issue(code, OFFLINE_REFUSED)])
