"""POST /pos/coupons/{validate,reserve,redeem,cancel,activate,issue,void}: each one store transition.

Every transition is one atomic script (see docs/store.md), so under any concurrency a code is
never redeemed twice and a GENERIC code never used beyond its limits. Errors: 404 NOT_FOUND
(unknown code or reservation, unknown coupon type), 409 COUPON_UNAVAILABLE (`details[0].path` =
the code, `issue` = the reason: NOT_ACTIVE, EXPIRED, ALREADY_REDEEMED, RESERVED_ELSEWHERE,
LIMIT_REACHED, NOT_FOR_CUSTOMER, CANCELLED, REDEEMED, TOO_MANY_HOLDS, GENERIC), 409
ALREADY_REDEEMED (second redeem), 503. At a store's local instance while central is away,
validate, reserve and activate refuse a code whose type's offlinePolicy is not ACCEPT
(OFFLINE_REFUSED: ``api.coupons.offline``); while central answers every call is passed on to
central and its answer returned (issue and activate only then: 503 while it is away); a reserve,
redeem, cancel or void the instance answers itself is queued for central in the same step and
made there when it answers (docs/local-store.md). ``issue`` and ``void`` are admin-only (403 FORBIDDEN for a
POS key); the others take any key.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

from quart import Blueprint, Response, g, request
from quart_schema import document_response

from api.coupons.offline import at_central, queued_for_central, refuse_offline, refused_offline, reserved_here
from api.coupons.schemas import (
    ActivateRequest, ActivateResponse, CancelResponse, IssueRequest, IssueResponse, RedeemResponse,
    ReservationRequest, ReserveRequest, ReserveResponse, ValidateRequest, ValidateResponse, VoidRequest,
    VoidResponse,
)
from api.http.auth import admin_only
from api.http.errors import json_response
from api.http.openapi import AUTH_ERRORS, BODY_ERRORS, errors
from api.evaluate.coupons import OFFLINE_REFUSED
from api.http.validation import validate_request
from api.services import current_services
from dre.clock import iso_ms

bp = Blueprint("pos_coupons", __name__)
CALLER_TAG_CHARS = 16  # hex digits of the API key's digest that name a caller in the store


def caller_tag() -> str:
    """Who reserves: a digest of the request's credentials (never the key itself), so that one
    caller can hold only a share of a GENERIC code (see store.coupons.reserve)."""
    credentials = request.headers.get("Authorization", "")
    return hashlib.sha256(credentials.encode()).hexdigest()[:CALLER_TAG_CHARS]


@bp.post("/pos/coupons/validate")
@validate_request(ValidateRequest)
@document_response(ValidateResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def validate(data: ValidateRequest) -> Response:
    """Is the code usable now (for this customer)? Read only. An unknown code is answered 200
    with `valid: false, reason: INVALID` (the question has an answer), not 404."""
    s = current_services()
    if (central := await at_central(s, or_here=True)) is not None:
        return central
    c = await s.store.coupons.validate(g.tenant, data.code, customer_id=data.customerId)
    if c.valid and await refused_offline(s, c.coupon_type_id):
        c = replace(c, valid=False, reason=OFFLINE_REFUSED)
    return json_response({"code": c.code, "valid": c.valid, "status": c.status, "reason": c.reason,
                          "couponTypeId": c.coupon_type_id, "promotionIds": list(c.promotion_ids),
                          "validTo": iso_ms(c.valid_to_ms)})


@bp.post("/pos/coupons/reserve")
@validate_request(ReserveRequest)
@document_response(ReserveResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def reserve(data: ReserveRequest) -> Response:
    """ACTIVE → RESERVED for the transaction (a GENERIC code: one more hold, counted against
    maxRedemptions while held). Idempotent per code + transactionId: a replay while the
    reservation is held (or after it was redeemed) returns the same answer and changes nothing.
    On a GENERIC code with a maxRedemptions one API key holds at most half of the uses left (at
    least one) at once: 409 `TOO_MANY_HOLDS` past that, so no single caller can block a shared
    code for everyone (give stores or lanes their own POS keys)."""
    s = current_services()
    if (central := await at_central(s, or_here=True)) is not None:
        return central
    await refuse_offline(s, g.tenant, data.code)
    r = await s.store.coupons.reserve(g.tenant, data.code, data.transactionId, customer_id=data.customerId,
                                      caller=caller_tag(), queue=queued_for_central(s))
    return json_response({"reservationId": r.reservation_id, "code": r.code, "transactionId": r.transaction_id,
                          "status": "RESERVED", "expiresAt": iso_ms(r.expires_at_ms)})


@bp.post("/pos/coupons/redeem")
@validate_request(ReservationRequest)
@document_response(RedeemResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def redeem(data: ReservationRequest) -> Response:
    """RESERVED → REDEEMED. Not idempotent: a second redeem of the reservation is 409
    ALREADY_REDEEMED (send an Idempotency-Key to have retries replayed instead)."""
    s = current_services()
    if not await reserved_here(s, g.tenant, data.reservationId) and \
            (central := await at_central(s, or_here=True)) is not None:
        return central
    r = await s.store.coupons.redeem(g.tenant, data.reservationId, queue=queued_for_central(s))
    return json_response({"reservationId": data.reservationId, "code": r.code, "transactionId": r.transaction_id,
                          "customerId": r.customer_id or None, "status": "REDEEMED"})


@bp.post("/pos/coupons/cancel")
@validate_request(ReservationRequest)
@document_response(CancelResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def cancel(data: ReservationRequest) -> Response:
    """RESERVED → ACTIVE. Idempotent: cancelling again answers the same. 409 when the reservation
    was redeemed already."""
    s = current_services()
    if not await reserved_here(s, g.tenant, data.reservationId) and \
            (central := await at_central(s, or_here=True)) is not None:
        return central
    state = await s.store.coupons.cancel(g.tenant, data.reservationId, queue=queued_for_central(s))
    return json_response({"reservationId": data.reservationId, "status": state})


@bp.post("/pos/coupons/activate")
@validate_request(ActivateRequest)
@document_response(ActivateResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def activate_coupon(data: ActivateRequest) -> Response:
    """CREATED → ACTIVE for the customer (a personal code only for its owner). Idempotent. At a
    store's local instance: passed on to central (503 CENTRAL_UNAVAILABLE while it is away)."""
    s = current_services()
    await refuse_offline(s, g.tenant, data.code)
    if (central := await at_central(s)) is not None:
        return central
    status = await s.store.coupons.activate(g.tenant, data.code, data.customerId)
    return json_response({"code": data.code, "customerId": data.customerId, "status": status})


@bp.post("/pos/coupons/issue")
@admin_only
@validate_request(IssueRequest)
@document_response(IssueResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def issue(data: IssueRequest) -> Response:
    """New personalised codes (CREATED) of an INDIVIDUAL coupon type, one per customerId. Not
    idempotent (each call issues new codes): send an Idempotency-Key to make retries safe. At a
    store's local instance: passed on to central, which issues them (503 CENTRAL_UNAVAILABLE
    while it is away); they reach the instance with the next pull."""
    s = current_services()
    if (central := await at_central(s)) is not None:
        return central
    issued = await s.store.coupons.issue(g.tenant, data.couponTypeId, data.customerIds)
    return json_response({"couponTypeId": data.couponTypeId,
                          "codes": [{"code": i.code, "customerId": i.customer_id, "status": "CREATED"}
                                    for i in issued]})


@bp.post("/pos/coupons/void")
@admin_only
@validate_request(VoidRequest)
@document_response(VoidResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def void(data: VoidRequest) -> Response:
    """Void a code for good (CREATED, ACTIVE or RESERVED → CANCELLED, terminal): its reservations
    are dropped and every later validate, reserve, redeem, evaluate or confirm refuses it with
    reason CANCELLED (409 where the call changes state). Idempotent: voiding it again answers the
    same. 409 COUPON_UNAVAILABLE for a code already REDEEMED or EXPIRED. At a store's local
    instance: passed on to central while it answers; while it is away voided here and made at
    central when it is back."""
    s = current_services()
    if (central := await at_central(s, or_here=True)) is not None:
        return central
    at = await s.store.coupons.void(g.tenant, data.code, queue=queued_for_central(s))
    return json_response({"code": data.code, "status": "CANCELLED", "cancelledAt": iso_ms(at)})
