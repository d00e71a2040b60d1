"""POST /posSupportAPI/loyalty/posevent: the loyalty POS event, JSON or XML (thin).

Every answer, errors included, is a LoyaltyPOSEventResponse in the negotiated format:
400 with statusCode 3 (unreadable: content type, syntax, refused XML, too large, missing or
mistyped field) or 4 (a value breaks a rule); 401 with statusCode 4 for missing or unknown
credentials (Bearer, or Basic with the API key as password; see api.http.auth); 503 with statusCode 2
when the store is unreachable (nothing booked, retry); 500 with statusCode 2 for a bug. The
request id is echoed as exceptionTrackingMoniker.
"""
from __future__ import annotations

import logging

from quart import Blueprint, Response, g, request
from quart_schema import document_request, document_response
from werkzeug.exceptions import RequestEntityTooLarge

from api.http.auth import BASIC_OR_BEARER, tenant_for_basic_or_bearer
from api.loyalty import models
from api.loyalty.negotiate import Negotiation, negotiate
from api.loyalty.posevent import book_event
from api.services import current_services
from dre.errors import DREError
from dre.loyalty import PosEventError, PosEventResponse, StatusCode, error_response

log = logging.getLogger("dre.api")

PATH = "/posSupportAPI/loyalty/posevent"
SELF_AUTHENTICATING = frozenset({PATH})  # the app's Bearer check and JSON body rules skip it

bp = Blueprint("loyalty", __name__)


def _answer(neg: Negotiation, resp: PosEventResponse, status: int, headers: dict | None = None) -> Response:
    return Response(neg.render(resp), status=status, headers=headers, content_type=neg.content_type)


@bp.post(PATH)
@document_request(models.LoyaltyPOSEventRequest)
@document_response(models.LoyaltyPOSEventResponse, 200)
@document_response(models.LoyaltyPOSEventResponse, 400)
@document_response(models.LoyaltyPOSEventResponse, 401)
@document_response(models.LoyaltyPOSEventResponse, 500)
@document_response(models.LoyaltyPOSEventResponse, 503)
async def posevent() -> Response:
    """Book a loyalty POS event: points from the tenant's LOYALTY promotions at
    bill.transactionDateTime, once per member + checkNumber + businessDate (a replay answers
    statusCode 6 with the same numbers); nativeDiscounts redeemed and answered one by one; the
    member's usable coupons as rewards. JSON or XML (Content-Type; Accept may ask for the other).
    Auth: `Bearer <api-key>`, or Basic with the API key as password (user: the tenant, or empty),
    or the key as user with an empty password. Every answer, errors included, is a
    LoyaltyPOSEventResponse (in XML for an XML request: the seed's DataContract shape): 400 with
    statusCode 3 (unreadable) or 4 (a rule broken), 401 with 4, 503/500 with 2."""
    services = current_services()
    neg = negotiate(request.headers.get("Content-Type"), request.headers.get("Accept"))
    moniker = g.request_id
    try:
        g.tenant = tenant_for_basic_or_bearer(request.headers.get("Authorization"), services.config.api_keys)
    except DREError as err:
        return _answer(neg, error_response(StatusCode.INCORRECT_ARGUMENTS, err.message, moniker), 401, BASIC_OR_BEARER)
    try:
        body = await request.get_data(cache=False)
        event = neg.parse(body)
    except RequestEntityTooLarge:
        limit = services.config.max_body_bytes
        return _answer(neg, error_response(StatusCode.INVALID_INPUT, f"body: larger than {limit} bytes", moniker), 400)
    except PosEventError as err:
        return _answer(neg, err.to_response(moniker), 400)
    try:
        resp = await book_event(services, g.tenant, event, moniker)
    except DREError as err:
        status = err.status if err.status >= 500 else 500
        return _answer(neg, error_response(StatusCode.INTERNAL_SERVER_ERROR, err.message, moniker), status)
    except Exception:
        log.exception("loyalty event failed", extra={"request_id": moniker})
        return _answer(neg, error_response(StatusCode.INTERNAL_SERVER_ERROR, "internal error; it has been logged",
                                           moniker), 500)
    return _answer(neg, resp, 200)
