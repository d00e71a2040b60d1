"""Shape an evaluation Result into the contract's EvaluateResponseV2 (JSON-ready dict)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from dre.basket import Basket
from dre.money import milli_to_number, to_major
from dre.priced_lines import Labelled, priced_lines
from dre.pricing.result import Missed, PricedLines, Result


def build_response(basket: Basket, result: Result, promotions: Mapping[str, Labelled], *,
                   transaction_id: str, counter: int | None, is_simulation: bool,
                   duration_ms: float = 0.0, include_recommendations: bool = True,
                   meta_extra: Mapping[str, object] | None = None,
                   body: Mapping[str, object] | None = None, missed: Sequence[Missed] = ()) -> dict:
    """The EvaluateResponseV2 body: ``meta``, then :func:`response_body`.

    Args:
        promotions: by id; names and types of the promotions the result mentions.
        counter: the transactionCounter (None for simulate, which assigns none).
        include_recommendations: simulate returns them only when asked.
        meta_extra: extra meta fields (e.g. ``counterSource`` when the store is down).
        body: the result's :func:`response_body` when the caller shaped it already (evaluate
            shapes it before the counter is known); shaped here if None.
        missed: see :func:`response_body`.
    """
    if body is None:
        body = response_body(basket, result, promotions, include_recommendations=include_recommendations,
                             missed=missed)
    return {"meta": response_meta(result, transaction_id=transaction_id, counter=counter,
                                  is_simulation=is_simulation, duration_ms=duration_ms, meta_extra=meta_extra),
            **body}


def response_meta(result: Result, *, transaction_id: str, counter: int | None, is_simulation: bool,
                  duration_ms: float = 0.0, meta_extra: Mapping[str, object] | None = None) -> dict:
    """The ``meta`` of an EvaluateResponseV2 (see :func:`build_response` for the arguments)."""
    header: dict[str, object] = {"transactionId": transaction_id}
    if counter is not None:
        header["transactionCounter"] = counter
    meta = {"header": header, "isSimulation": is_simulation, "durationMs": round(duration_ms, 3),
            "bestDealExact": result.exact}
    if meta_extra:
        meta.update(meta_extra)
    return meta


def encode_response(meta: Mapping[str, object], body_json: bytes) -> bytes:
    """The JSON of :func:`build_response` from its ``meta`` and its body already encoded
    (``orjson.dumps(response_body(...))``): the body is serialised once per request. Same bytes as ``orjson.dumps(build_response(...))``."""
    return b'{"meta":' + orjson.dumps(meta) + b"," + body_json[1:]  # the body is a non-empty object


def response_body(basket: Basket, result: Result, promotions: Mapping[str, Labelled], *,
                  include_recommendations: bool = True, missed: Sequence[Missed] = (),
                  lines: PricedLines | None = None) -> dict:
    """Everything of the EvaluateResponseV2 but ``meta``: line items, granted items, totals, coupon
    results, recommendations, missed promotions (in this order): what was priced, nothing of the
    counter or timing.

    Args:
        promotions: by id; names and types of the promotions the result mentions.
        include_recommendations: simulate returns them (and the missed promotions) only when asked.
        missed: promotions left out for this customer (dre.evaluate.withheld), in that order.
        lines: :func:`dre.priced_lines.priced_lines` of the same arguments when the caller walked
            them already (evaluate's iteration record reads them too); walked here if None.
    """
    if lines is None:
        lines = priced_lines(basket, result, promotions)
    gross, discount = lines.gross, lines.discount
    return {
        "lineItems": lines.items,
        "grantedItems": [{
            "articleNumber": g.article, "quantity": milli_to_number(g.milli),
            "unitPrice": to_major(g.unit_price), "promotionId": g.promotion_id,
        } for g in result.granted],
        "totals": {
            "gross": to_major(gross),
            "discount": to_major(discount),
            "net": to_major(gross - discount),
            "currency": basket.currency,
            "savingsSummary": {
                "totalSavings": to_major(discount),
                "byPromotion": [{"promotionId": pid, "amount": to_major(a)} for pid, a in lines.by_promotion.items() if a],
                "loyaltyPointsEarned": result.points,
            },
        },
        "couponResults": [{
            "code": c.code, "status": c.status, "reason": c.reason, "promotionIds": list(c.promotion_ids),
            "message": c.message,
        } for c in result.coupons],
        "recommendations": [{
            "promotionId": r.promotion_id, "type": "MISSED_PROMOTION", "message": r.message,
            "missingAmount": to_major(r.missing_amount), "missingQuantity": milli_to_number(r.missing_milli),
            "potentialSavings": to_major(r.potential_savings),
        } for r in result.recommendations] if include_recommendations else [],
        "missedPromotions": [{
            "promotionId": x.promotion_id, "promotionName": promotions[x.promotion_id].name,
            "reason": x.reason, "message": x.message,
        } for x in missed] if include_recommendations else [],
    }
