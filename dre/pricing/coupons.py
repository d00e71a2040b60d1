"""couponResults: one verdict per presented code, the same for both evaluators."""
from __future__ import annotations

from dre.basket import Basket
from dre.pricing.context import USABLE, Context
from dre.pricing.result import Applied, CouponResult

COUPON_MESSAGES = {
    "APPLIED": "coupon applied",
    "NOT_APPLICABLE": "coupon valid, but no promotion of it applies to this basket",
    "INVALID": "unknown coupon code",
    "NOT_ACTIVE": "coupon is not active",
    "EXPIRED": "coupon has expired",
    "ALREADY_REDEEMED": "coupon was already redeemed",
    "RESERVED_ELSEWHERE": "coupon is reserved by another transaction",
    "LIMIT_REACHED": "coupon redemption limit reached",
}
# A finer cause behind a status says more than the status's own message.
REASON_MESSAGES = {
    "NOT_FOR_CUSTOMER": "coupon is personal: it is valid only for the customer it was issued to",
    "CANCELLED": "coupon was cancelled and can no longer be used",
    "NOT_STACKABLE": "coupon cannot be combined with another coupon in the same transaction",
}


def coupon_results(basket: Basket, ctx: Context, applied: list[Applied]) -> tuple[CouponResult, ...]:
    """One result per presented code, in request order."""
    out = []
    for code in basket.coupons:
        chk = ctx.coupons.get(code)
        status = chk.status if chk else "INVALID"
        ids: tuple[str, ...] = ()
        if status == USABLE:
            ids = tuple(a.promotion_id for a in applied if a.coupon_code == code)
            status = "APPLIED" if ids else "NOT_APPLICABLE"
        reason = chk.reason if chk else None
        out.append(CouponResult(code, status, ids, REASON_MESSAGES.get(reason or "", COUPON_MESSAGES[status]),
                                reason))
    return tuple(out)
