"""The store's verdict on the coupon codes a basket presents, as the evaluator's CouponCheck."""
from __future__ import annotations

from collections.abc import Mapping

import trio

from actors.store import Store
from dre.basket import Basket
from dre.errors import DREError
from dre.pricing import USABLE, CouponCheck
from dre.store.records import CodeValidation

READ_TIMEOUT_S = 0.5  # past this the codes count as unknown rather than holding up pricing
# Reasons the store gives that the contract has no status for.
REASON_STATUS = {"NOT_FOR_CUSTOMER": "INVALID"}  # a personal code of someone else: not this customer's


def _from_store(rec: CodeValidation) -> CouponCheck:
    if rec.valid:
        return CouponCheck(rec.code, USABLE, rec.coupon_type_id)
    status = REASON_STATUS.get(rec.reason or "INVALID", rec.reason or "INVALID")
    return CouponCheck(rec.code, status, rec.coupon_type_id)


async def check_coupons(store: Store, tenant: str, basket: Basket,
                        static: Mapping[str, CouponCheck]) -> dict[str, CouponCheck]:
    """One CouponCheck per presented code (request order).

    Args:
        store: the store (an UnavailableStore when the service runs without one: every code then
            counts as INVALID unless ``static`` knows it).
        static: codes defined by the start-up promotion file (GENERIC coupon types): used for a
            code the store does not know.

    A code the store cannot be asked about (down, slow) is INVALID for this evaluation: it cannot
    be shown usable, and confirm would refuse it anyway.
    """
    out: dict[str, CouponCheck] = {}
    for code in basket.coupons:
        check = None
        try:
            with trio.move_on_after(READ_TIMEOUT_S):
                rec = await store.coupons.validate(tenant, code, customer_id=basket.customer_id,
                                                   transaction_id=basket.transaction_id)
                check = _from_store(rec)
        except DREError:
            check = None
        if (check is None or check.status == "INVALID") and code in static:
            check = static[code]
        out[code] = check or CouponCheck(code, "INVALID")
    return out
