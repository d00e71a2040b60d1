"""Coupon calls at a store's local instance (docs/local-store.md).

While central is away a code of a type whose ``offlinePolicy`` is not ACCEPT is refused (reason
OFFLINE_REFUSED), decided by ``LocalInstance.refused_types``; nothing is refused at central or
while central answers. Issue and activate change what central alone decides (which codes exist,
whose a code is): they are passed on to central (:func:`at_central`), and while it is away they
answer 503 CENTRAL_UNAVAILABLE rather than make a code central does not know."""
from __future__ import annotations

from quart import Response, request

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
    if services.local is None or not (refused := await services.local.refused_types()):
        return  # central answers: nothing refused, no read
    if await type_of(services.store.core, tenant, code) in refused:
        raise conflict("COUPON_UNAVAILABLE", f"coupon {code} is not accepted while the store is offline "
                                             "(its type's offlinePolicy is REFUSE)", [Issue(code, OFFLINE_REFUSED)])


async def at_central(services: Services) -> Response | None:
    """At a local instance: central's answer to this request (path, body and Idempotency-Key
    passed on as they came; status and body as central gave them). None at central. Raises
    DREError 503 CENTRAL_UNAVAILABLE while central is away."""
    if services.local is None:
        return None
    body = await request.get_data()
    r = await services.local.relay_call(request.path, body, request.headers.get("Idempotency-Key"))
    return Response(r.content, status=r.status_code, content_type=r.headers.get("Content-Type", "application/json"))
