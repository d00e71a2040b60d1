"""POST /pos/v2/confirm and GET .../side-effects: thin routes over ``commit`` and ``side_effects``."""
from __future__ import annotations

from quart import Blueprint, Response, g
from quart_schema import document_response

from api.confirm.commit import confirm as confirm_iteration
from api.confirm.commit import settle
from api.confirm.schemas import ConfirmRequestBody, ConfirmResponse, SideEffectsResponse
from api.confirm.side_effects import side_effects_state
from api.http.openapi import AUTH_ERRORS, BODY_ERRORS, errors
from api.http.validation import validate_request
from api.services import current_services

bp = Blueprint("pos_confirm", __name__)

JSON = "application/json"


@bp.post("/pos/v2/confirm")
@validate_request(ConfirmRequestBody)
@document_response(ConfirmResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def confirm(data: ConfirmRequestBody) -> Response:
    """Commit the priced result of the transaction's latest evaluate iteration.

    All or nothing, in one atomic store step: the budgets of the applied promotions are consumed
    (money: the sale-part discount — returns never release budget; redemptions: one per confirm;
    per customer when the iteration named a customerId), the coupons the iteration applied are
    claimed (through the transaction's own reservation when it holds one, else directly;
    INDIVIDUAL codes become REDEEMED), the sale is kept 30 days for the returns that may name it
    (originalTransactionId), what this iteration's linked return lines give back is counted
    against the sales they name, and the side-effects job is queued. Otherwise 409
    BUDGET_EXHAUSTED (`details[0].path` = the promotion id), 409 COUPON_UNAVAILABLE
    (`details[0].path` = the code, `issue` = why) or 409 RETURN_EXCEEDS_SALE (`details[0].path` =
    the original transactionId: a return of that sale confirmed since; evaluate again) and
    nothing is consumed.

    404: the counter was never issued, or the iteration expired (24 h; evaluate again). 409
    STALE_ITERATION: not the latest counter. 409 ALREADY_CONFIRMED: another counter of this
    transaction was confirmed. A replay of the same transactionId + transactionCounter returns the
    first answer byte for byte and consumes nothing. An iteration priced while the store was down
    (`counterSource: LOCAL`) cannot be confirmed (404).

    At a store's local instance, while central answers, central judges the confirm first: its
    refusal (409, as central gave it) is the answer and nothing is committed anywhere; while
    central is away or slow the confirm is committed at the instance and queued for central.
    """
    s = current_services()
    header = data.request.header
    done = await confirm_iteration(s.store, g.tenant, header.transactionId, header.transactionCounter, s.local)
    settle(s, g.tenant, done)
    return Response(done.answer, mimetype=JSON)


# "string:" spelled out: quart-schema's path regex would swallow an unconverted first parameter
@bp.get("/pos/v2/transactions/<string:transaction_id>/<int:counter>/side-effects")
@document_response(SideEffectsResponse, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def side_effects(transaction_id: str, counter: int) -> Response:
    """State and results of the side-effects job of a confirmed iteration: coupon redemptions,
    loyalty points booked, post-purchase coupons issued, the calculation audit record id.

    The job survives restarts of the service (it is kept in the store and re-run by any worker
    until it completes; each effect happens once). Cached ~1 s per worker: poll no faster.
    """
    s = current_services()
    key = (g.tenant, transaction_id, counter)
    body = s.side_effects_cache.get(key)
    if body is None:
        body = await side_effects_state(s.store, g.tenant, transaction_id, counter)
        s.side_effects_cache.put(key, body)
    return Response(body, mimetype=JSON)
