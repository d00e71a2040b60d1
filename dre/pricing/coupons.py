"""couponResults: one verdict per presented code, the same for both evaluators."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from dre.basket import Basket
from dre.pricing.context import USABLE, Context, CouponCheck
from dre.pricing.result import Applied, CouponResult

NOT_STACKABLE = "NOT_STACKABLE"  # reason of a code refused by the stacking rule (status NOT_APPLICABLE)

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
    "OFFLINE_REFUSED": "coupon is not accepted while the store is offline (its type's offlinePolicy is REFUSE)",
}


def apply_stacking(codes: Sequence[str], checks: Mapping[str, CouponCheck]) -> dict[str, CouponCheck]:
    """The checks of the presented ``codes`` (request order; codes without a check are left out)
    with the stacking rule applied: the first usable code stays, and a later usable code is
    refused (NOT_APPLICABLE, reason NOT_STACKABLE) when it or a code kept before it is not
    stackable (its type says ``isStackable: false``). So a non-stackable code is never combined
    with another code in one transaction; stackable codes still combine."""
    out: dict[str, CouponCheck] = {}
    kept: list[CouponCheck] = []
    for code in codes:
        chk = checks.get(code)
        if chk is None:
            continue
        if chk.status == USABLE and kept and not (chk.stackable and all(k.stackable for k in kept)):
            chk = CouponCheck(code, "NOT_APPLICABLE", chk.type_id, reason=NOT_STACKABLE, stackable=chk.stackable)
        elif chk.status == USABLE:
            kept.append(chk)
        out[code] = chk
    return out


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
