"""Shape an evaluation Result into the contract's EvaluateResponseV2 (JSON-ready dict)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from dre.basket import Basket
from dre.money import milli_to_number, to_major
from dre.pricing.result import Missed, Result
from dre.promotion.model import Promotion


def build_response(basket: Basket, result: Result, promotions: Mapping[str, Promotion], *,
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
            keeps it with the priced iteration before the counter is known); shaped here if None.
        missed: see :func:`response_body`.
    """
    if body is None:
        body = response_body(basket, result, promotions, include_recommendations=include_recommendations,
                             missed=missed)
    header: dict[str, object] = {"transactionId": transaction_id}
    if counter is not None:
        header["transactionCounter"] = counter
    meta = {"header": header, "isSimulation": is_simulation, "durationMs": round(duration_ms, 3),
            "bestDealExact": result.exact}
    if meta_extra:
        meta.update(meta_extra)
    return {"meta": meta, **body}


def response_body(basket: Basket, result: Result, promotions: Mapping[str, Promotion], *,
                  include_recommendations: bool = True, missed: Sequence[Missed] = ()) -> dict:
    """Everything of the EvaluateResponseV2 but ``meta``: line items, granted items, totals, coupon
    results, recommendations, missed promotions (in this order): what was priced, nothing of the
    counter or timing.

    Args:
        promotions: by id; names and types of the promotions the result mentions.
        include_recommendations: simulate returns them (and the missed promotions) only when asked.
        missed: promotions left out for this customer (dre.evaluate.withheld), in that order.
    """
    items = []
    gross = discount = 0
    by_promo: dict[str, int] = {}
    for line, discounts in zip(basket.lines, result.lines):
        line_disc = sum(d.amount for d in discounts)
        gross += line.gross
        discount += line_disc
        for d in discounts:
            by_promo[d.promotion_id] = by_promo.get(d.promotion_id, 0) + d.amount
        items.append({
            "lineReference": line.ref,
            "articleNumber": line.article,
            "quantity": milli_to_number(line.milli),
            "unitPrice": to_major(line.unit_price),
            "lineGross": to_major(line.gross),
            "lineDiscount": to_major(line_disc),
            "lineNet": to_major(line.gross - line_disc),
            "discounts": [{
                "promotionId": d.promotion_id,
                "promotionName": promotions[d.promotion_id].name,
                "promotionType": promotions[d.promotion_id].type,
                "amount": to_major(d.amount),
                "couponCode": d.coupon_code,
            } for d in discounts],
        })
    return {
        "lineItems": items,
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
                "byPromotion": [{"promotionId": pid, "amount": to_major(a)} for pid, a in by_promo.items() if a],
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
