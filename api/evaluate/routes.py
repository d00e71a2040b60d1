"""POST /pos/v2/evaluate and /pos/v2/simulate: validate, price, answer (thin)."""
from __future__ import annotations

from quart import Blueprint, Response, g
from quart_schema import document_response

from api.evaluate.pricing import price_request
from api.evaluate.schemas import EvaluateResponse
from api.http.errors import encoded_json_response
from api.http.openapi import AUTH_ERRORS, BODY_ERRORS, errors
from api.http.validation import validate_request
from api.services import current_services
from dre.wire.evaluate import EvaluateRequestBody
from dre.wire.evaluate_fast import decode_evaluate_body

bp = Blueprint("pos_evaluate", __name__)


@bp.post("/pos/v2/evaluate")
@validate_request(EvaluateRequestBody, fast=decode_evaluate_body)
@document_response(EvaluateResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def evaluate(data: EvaluateRequestBody) -> Response:
    """Price a basket and issue the next transactionCounter.

    Assigns `transactionCounter` (1 on the first evaluate of a transactionId, +1 after; a UUID
    transactionId is made when absent) and keeps the priced iteration for confirm. Changes no
    promotion, coupon or budget state. Always returns recommendations; ignores includeInactive
    and includeMissedPromotions. While the store is unreachable it still prices, with a counter
    from the worker's memory (`meta.counterSource: LOCAL`).
    """
    return encoded_json_response(await price_request(current_services(), g.tenant, data.request, simulate=False))


@bp.post("/pos/v2/simulate")
@validate_request(EvaluateRequestBody, fast=decode_evaluate_body)
@document_response(EvaluateResponse, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def simulate(data: EvaluateRequestBody) -> Response:
    """Price a basket without writing anything (`isSimulation: true`, no transactionCounter).

    Honours `includeInactive` (INACTIVE promotions are priced too) and `includeMissedPromotions`
    (recommendations only when set).
    """
    return encoded_json_response(await price_request(current_services(), g.tenant, data.request, simulate=True))
