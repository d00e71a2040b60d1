"""The store's verdict on the coupon codes a basket presents, as the evaluator's CouponCheck.

The one place that decides each presented code's couponResults status before pricing: the
store's answer (``coupon_validate.lua``: state, type INACTIVE, personal code, limits) and then the
stacking rule over all codes of the basket (dre.pricing.coupons.apply_stacking: a code whose type
has ``isStackable: false`` is not combined with another usable code; request order decides).
Confirm claims only the codes the priced iteration applied, so it never claims a refused
combination. At a store's local instance while central is away, a usable code of a type whose
``offlinePolicy`` is not ACCEPT is refused (NOT_ACTIVE, reason OFFLINE_REFUSED):
``Services.local.refused_types``.
"""
from __future__ import annotations

from collections.abc import Container, Mapping

import trio

from actors.store import Store
from dre.basket import Basket
from dre.errors import DREError
from dre.pricing import USABLE, CouponCheck
from dre.pricing.coupons import apply_stacking
from dre.store.records import CodeValidation

READ_TIMEOUT_S = 0.5  # past this the codes count as unknown rather than holding up pricing
# Store reasons the contract's couponResults have no status of their own for: the status they
# are reported under (the reason itself goes beside it, in ``reason``, with its own message).
REASON_STATUS = {"NOT_FOR_CUSTOMER": "NOT_ACTIVE", "CANCELLED": "NOT_ACTIVE", "OFFLINE_REFUSED": "NOT_ACTIVE"}
OFFLINE_REFUSED = "OFFLINE_REFUSED"


def from_store(rec: CodeValidation) -> CouponCheck:
    """The store's verdict on one code as pricing sees it (a store reason the contract has no
    couponResults status for goes under :data:`REASON_STATUS`'s status, kept as ``reason``)."""
    if rec.valid:
        return CouponCheck(rec.code, USABLE, rec.coupon_type_id, stackable=rec.stackable)
    reason = rec.reason or "INVALID"
    status = REASON_STATUS.get(reason, reason)
    return CouponCheck(rec.code, status, rec.coupon_type_id, reason=reason if status != reason else None,
                       stackable=rec.stackable)


async def check_coupons(store: Store, tenant: str, basket: Basket,
                        static: Mapping[str, CouponCheck],
                        refused: Container[str] = frozenset()) -> dict[str, CouponCheck]:
    """One CouponCheck per presented code (request order); the codes are asked about at once.

    Args:
        store: the store (an UnavailableStore when the service runs without one: every code then
            counts as INVALID unless ``static`` knows it).
        static: codes defined by the start-up promotion file (GENERIC coupon types): used for a
            code the store does not know.
        refused: coupon type ids not honoured now (a local instance while central is away).

    A code the store cannot be asked about (down, slow) is INVALID for this evaluation: it cannot
    be shown usable, and confirm would refuse it anyway.
    """
    if not basket.coupons:
        return {}
    found: dict[str, CouponCheck | None] = dict.fromkeys(basket.coupons)

    async def ask(code: str) -> None:
        try:
            rec = await store.coupons.validate(tenant, code, customer_id=basket.customer_id,
                                               transaction_id=basket.transaction_id)
            found[code] = from_store(rec)
        except DREError:
            pass

    with trio.move_on_after(READ_TIMEOUT_S):
        async with trio.open_nursery() as nursery:  # cancelled with the caller; no task outlives it
            for code in basket.coupons:
                nursery.start_soon(ask, code)
    out: dict[str, CouponCheck] = {}
    for code, check in found.items():
        if (check is None or check.status == "INVALID") and code in static:
            check = static[code]
        if check is not None and check.status == USABLE and check.type_id in refused:
            check = CouponCheck(code, REASON_STATUS[OFFLINE_REFUSED], check.type_id, reason=OFFLINE_REFUSED,
                                stackable=check.stackable)
        out[code] = check or CouponCheck(code, "INVALID")
    return apply_stacking(basket.coupons, out)
