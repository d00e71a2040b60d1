"""POST /posSupportAPI/loyalty/posevent: the loyalty POS event, JSON or XML (thin).

Every answer, errors included, is a LoyaltyPOSEventResponse in the negotiated format:
400 with statusCode 3 (unreadable: content type, syntax, refused XML, too large, missing or
mistyped field) or 4 (a value breaks a rule); 401 with statusCode 4 for missing or unknown
credentials (Bearer, or Basic with the API key as password; see api.http.auth); 409 with 4 for a
replay key booked with another bill; 422 with 1 UnknownFailure when the store refuses the booking;
503 with 5 ScheduledMaintenance while the tenant is in maintenance; 503 with statusCode 2
when the store or the engine is unavailable (nothing booked, retry); 500 with statusCode 2 for a
bug. The request id is echoed as exceptionTrackingMoniker. (dre.loyalty.result has the table.)

At a store's local instance (docs/local-store.md) a valid event is passed on to central as the
POS sent it and central's answer is returned; while central is away the instance books it in
its own store (the answer's totalPoints is then the store's view) and queues it, and central
books it once when it is back.
"""
from __future__ import annotations

import logging

from quart import Blueprint, Response, g, request
from quart_schema import document_request, document_response
from werkzeug.exceptions import RequestEntityTooLarge

from api.http.auth import BASIC_OR_BEARER, tenant_for_basic_or_bearer
from api.http.errors import RETRY_AFTER_S
from api.http.openapi import also_answers, raw_request
from api.loyalty import models
from api.loyalty.negotiate import Negotiation, negotiate
from api.loyalty.posevent import book_event
from api.services import current_services
from dre.errors import DREError
from dre.loyalty import PosEventError, PosEventResponse, StatusCode, error_response, replay_key

log = logging.getLogger("dre.api")
MAINTENANCE_RETRY_AFTER_S = 60  # how soon a POS should try an event again during maintenance

PATH = "/posSupportAPI/loyalty/posevent"
SELF_AUTHENTICATING = frozenset({PATH})  # the app's Bearer check and JSON body rules skip it

bp = Blueprint("loyalty", __name__)


def _answer(neg: Negotiation, resp: PosEventResponse, status: int, headers: dict | None = None) -> Response:
    return Response(neg.render(resp), status=status, headers=headers, content_type=neg.content_type)


def _failure(err: DREError) -> tuple[StatusCode, int, dict | None]:
    """(statusCode, HTTP status, headers) of a DREError raised while booking: the one place that
    decides them."""
    if err.status >= 500:
        return StatusCode.INTERNAL_SERVER_ERROR, err.status, {"Retry-After": str(RETRY_AFTER_S)}
    if err.code == "EVENT_CONFLICT":
        return StatusCode.INCORRECT_ARGUMENTS, 409, None
    return StatusCode.UNKNOWN_FAILURE, 422, None  # a downstream refusal: not the server's failure


@bp.post(PATH)
@document_request(models.LoyaltyPOSEventRequest)
@raw_request("application/xml", "the LoyaltyPOSEventRequest in the seed's DataContract XML (also text/xml)")
@raw_request("application/x-www-form-urlencoded", "the LoyaltyPOSEventRequest as ASP.NET Web API form binding "
             "names it: Bill.CheckNumber=1&Bill.BillLineItems[0].Quantity=1&... (case-insensitive)")
@also_answers("application/xml", "the LoyaltyPOSEventResponse in XML: for an XML request, or when Accept asks")
@document_response(models.LoyaltyPOSEventResponse, 200)
@document_response(models.LoyaltyPOSEventResponse, 400)
@document_response(models.LoyaltyPOSEventResponse, 401)
@document_response(models.LoyaltyPOSEventResponse, 409)
@document_response(models.LoyaltyPOSEventResponse, 422)
@document_response(models.LoyaltyPOSEventResponse, 500)
@document_response(models.LoyaltyPOSEventResponse, 503)
async def posevent() -> Response:
    """Book a loyalty POS event: points from the tenant's LOYALTY promotions at
    bill.transactionDateTime, once per member + checkNumber + businessDate (a replay answers
    statusCode 6 with the same numbers); nativeDiscounts redeemed and answered one by one; the
    member's usable coupons as rewards (`promotionId`: the id when numeric, else a stable negative
    alias; `promotionKey`: the id; `promotionValue`: the face value, its unit in
    `promotionPublicDescription`). JSON, XML or an `application/x-www-form-urlencoded` form with
    ASP.NET Web API field names (`Bill.CheckNumber`, `Bill.BillLineItems[0].Quantity`,
    case-insensitive; answered in JSON); Accept may ask for the other format. A replay with
    another bill under the same member, checkNumber and businessDate is refused (409, 4) and
    changes nothing. At most 50 nativeDiscounts. Auth: `Bearer <api-key>`, or Basic with the API
    key as password (user: the tenant, or empty), or the key as user with an empty password.
    Every answer, errors included, is a LoyaltyPOSEventResponse (in XML for an XML request: the
    seed's DataContract shape): 400 with statusCode 3 (unreadable) or 4 (a rule broken), 401
    with 4, 409 with 4, 422 with 1 (the store refused the booking), 503 with 5 (the tenant is in
    maintenance: `PUT /admin/loyalty/maintenance`), 503/500 with 2."""
    services = current_services()
    neg = negotiate(request.headers.get("Content-Type"), request.headers.get("Accept"))
    moniker = g.request_id
    try:
        g.tenant = tenant_for_basic_or_bearer(request.headers.get("Authorization"), services.config.api_keys)
    except DREError as err:
        return _answer(neg, error_response(StatusCode.INCORRECT_ARGUMENTS, err.message, moniker), 401, BASIC_OR_BEARER)
    try:
        maintenance = await services.store.loyalty.maintenance(g.tenant)
    except DREError as err:
        return _answer(neg, error_response(StatusCode.INTERNAL_SERVER_ERROR, err.message, moniker), 503,
                       {"Retry-After": str(RETRY_AFTER_S)})
    if maintenance is not None:
        return _answer(neg, error_response(StatusCode.SCHEDULED_MAINTENANCE, maintenance, moniker), 503,
                       {"Retry-After": str(MAINTENANCE_RETRY_AFTER_S)})
    try:
        body = await request.get_data(cache=False)
        event = neg.parse(body)
    except RequestEntityTooLarge:
        limit = services.config.max_body_bytes
        return _answer(neg, error_response(StatusCode.INVALID_INPUT, f"body: larger than {limit} bytes", moniker), 400)
    except PosEventError as err:
        return _answer(neg, err.to_response(moniker), 400)
    local = services.local
    if local is not None:  # a store's instance: central books the event while it answers
        relayed = await local.relay_event(body, request.headers.get("Content-Type") or "application/json",
                                          request.headers.get("Accept"))
        if relayed is not None:
            return Response(relayed.content, status=relayed.status_code,
                            content_type=relayed.headers.get("Content-Type", neg.content_type))
    try:
        resp = await book_event(services, g.tenant, event, moniker)
        if local is not None:  # booked here while central is away: sent to central later, once
            await local.queue_event(replay_key(event), body, request.headers.get("Content-Type") or "application/json")
    except DREError as err:
        code, status, headers = _failure(err)
        return _answer(neg, error_response(code, err.message, moniker), status, headers)
    except Exception:
        log.exception("loyalty event failed", extra={"request_id": moniker})
        return _answer(neg, error_response(StatusCode.INTERNAL_SERVER_ERROR, "internal error; it has been logged",
                                           moniker), 500)
    return _answer(neg, resp, 200)
