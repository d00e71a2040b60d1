"""Coupon calls at a store's local instance (docs/local-store.md).

While central is away a code of a type whose ``offlinePolicy`` is not ACCEPT is refused (reason
OFFLINE_REFUSED), decided by ``LocalInstance.refused_types``; nothing is refused at central or
while central answers. Issue and activate change what central alone decides (which codes exist,
whose a code is): they are passed on to central (:func:`at_central`), and while it is away they
answer 503 CENTRAL_UNAVAILABLE rather than make a code central does not know. Validate, reserve,
redeem and cancel are passed on while central answers and answered here while it is away (a
redeem or cancel of a reservation made here, while central was away, is answered here). Each
transition answered here is queued for central in the same atomic step (:func:`queued_for_central`)
and made there, in order, when it answers. Void, too: passed on while central answers, made here
and queued while it is away."""
from __future__ import annotations

import httpx
import orjson
from quart import Response, current_app, request

from actors.store_ops.coupons import type_of
from actors.sync.link import central_error as error_of
from api.evaluate.coupons import OFFLINE_REFUSED
from api.http.surfaces import canonical_path
from api.services import Services
from dre.errors import DREError, Issue, conflict
from dre.store import keys


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


async def at_central(services: Services, *, or_here: bool = False) -> Response | None:
    """At a local instance: central's answer to this request (path, body and Idempotency-Key
    passed on as they came; status and body as central gave them). None at central, and, with
    ``or_here``, while central is away (the instance answers itself). Raises DREError 503
    CENTRAL_UNAVAILABLE while central is away (without ``or_here``)."""
    if services.local is None:
        return None
    body = await request.get_data()
    try:
        # the REST path, also for an alias (OData): this instance shapes the answer for its surface
        path = canonical_path(current_app, request.url_rule, request.path)
        r = await services.local.relay_call(path, body, request.headers.get("Idempotency-Key"))
    except DREError:
        if or_here:
            return None
        raise
    if r.status_code >= 400:
        raise central_error(r)  # answered in this request's surface's error shape (REST, OData)
    return Response(r.content, status=r.status_code, content_type=r.headers.get("Content-Type", "application/json"))


def central_error(r: httpx.Response) -> DREError:
    """Central's error answer (the contract's shape) as the DREError it was raised from."""
    try:
        body = orjson.loads(r.content)
    except orjson.JSONDecodeError:
        body = None
    return error_of(r.status_code, body)


def queued_for_central(services: Services) -> bool:
    """Is a coupon transition answered here to be queued for central? At a local instance, yes:
    it answers one itself only while central is away or for a reservation made then, and central
    must come to the same state (the forwarder makes it there: ``actors.sync.coupon_calls``)."""
    return services.local is not None


async def reserved_here(services: Services, tenant: str, reservation_id: str) -> bool:
    """At a local instance: was ``reservation_id`` made here (while central was away)? Its redeem
    and cancel are then answered here (and queued): central knows it, once forwarded, only under
    a reservationId of its own. (Reservations made at central are not copied here: their index
    stays central's.)"""
    if services.local is None:
        return False
    key = keys.reservation(tenant, reservation_id)
    return bool(await services.store.core.call(lambda p: p.exists(key), int))
