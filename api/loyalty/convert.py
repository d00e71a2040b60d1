"""Wire models <-> the domain: JSON-shaped dicts in the seed's field names, both directions.

Reading turns a validated request into a :class:`PosEvent` (money and quantities to integers,
too many decimals answering IncorrectArguments); writing gives the plain dicts both codecs render,
so that JSON and XML carry the same fields.
"""
from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from api.loyalty import models as w
from dre.errors import join_path
from dre.loyalty.event import BillLine, PosEvent, Staff
from dre.loyalty.result import (NativeDiscountResult, OperationResult, PosEventError, PosEventResponse, Reward,
                                StatusCode, incorrect, invalid_input)
from dre.money import milli_to_number, parse_decimal, to_major


def validation_error(exc: ValidationError) -> PosEventError:
    """InvalidInput (3) naming the first failing field by its path (``bill.billLineItems[0].amount``)."""
    err = exc.errors(include_url=False)[0]
    path = join_path(*err["loc"]) or "body"
    msg = err["msg"].removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return invalid_input(f"{path}: {msg}{more}")


MAX_DIGITS = 15  # integer digits of any amount or quantity; far above every engine limit


def _scaled(value: Decimal, places: int, path: str) -> int:
    # Checked before scaling: "1E+999999999" is a valid decimal whose integer would not fit in memory.
    if value and value.adjusted() >= MAX_DIGITS:
        raise incorrect(f"{path}: out of range")
    try:
        return parse_decimal(value, places, path)
    except ValueError:
        raise incorrect(f"{path}: at most {places} decimals") from None


# ---- request ------------------------------------------------------------------------------


def _staff(e: w.Employee | None) -> Staff | None:
    return Staff(e.id, e.fullName) if e is not None else None


def event_from_wire(req: w.LoyaltyPOSEventRequest) -> PosEvent:
    """The domain event; raises PosEventError(4) for values that break a rule."""
    b = req.bill
    lines = []
    for i, it in enumerate(b.billLineItems or ()):
        path = f"bill.billLineItems[{i}]"
        lines.append(BillLine(
            item_id=it.itemId, milli=_scaled(it.quantity, 3, f"{path}.quantity"),
            amount=_scaled(it.amount, 2, f"{path}.amount"), item_name=it.itemName, selected=it.selected,
            matched_pos=it.matchedPOS, is_combo=it.isCombo, parent_item_id=it.parentItemId, size_id=it.sizeId,
            item_guid=it.itemGuid))
    return PosEvent(
        loyalty_number=req.loyalty.loyaltyNumber, tenant_id=req.loyalty.tenantId, check_number=b.checkNumber,
        business_date=b.businessDate.date(), transaction_time=b.transactionDateTime,
        business_date_time=b.businessDateTime, total=_scaled(b.total, 2, "bill.total"), lines=tuple(lines),
        native_discounts=tuple(d.couponSourceCode for d in req.nativeDiscounts or ()),
        order_mode_id=b.orderModeId, server=_staff(b.server), manager=_staff(b.manager))


def _employee(s: Staff | None) -> dict | None:
    return {"id": s.id, "fullName": s.full_name} if s is not None else None


def event_to_wire(e: PosEvent) -> dict:
    """The request body of an event (what a POS sends), in the seed's field order."""
    return {
        "loyalty": {"loyaltyNumber": e.loyalty_number, "tenantId": e.tenant_id},
        "bill": {
            "checkNumber": e.check_number,
            "server": _employee(e.server),
            "manager": _employee(e.manager),
            "orderModeId": e.order_mode_id,
            "transactionDateTime": e.transaction_time.isoformat(),
            "businessDate": f"{e.business_date.isoformat()}T00:00:00",
            "businessDateTime": e.business_date_time.isoformat() if e.business_date_time else None,
            "total": to_major(e.total),
            "billLineItems": [{
                "itemId": ln.item_id, "quantity": milli_to_number(ln.milli), "amount": to_major(ln.amount),
                "itemName": ln.item_name, "selected": ln.selected, "matchedPOS": ln.matched_pos,
                "isCombo": ln.is_combo, "parentItemId": ln.parent_item_id, "sizeId": ln.size_id,
                "itemGuid": ln.item_guid} for ln in e.lines],
        },
        "nativeDiscounts": [{"couponSourceCode": c} for c in e.native_discounts],
    }


# ---- response -----------------------------------------------------------------------------


def _result(r: OperationResult) -> dict:
    return {"statusCode": int(r.status), "description": r.description, "exceptionTrackingMoniker": r.moniker}


def _reward(r: Reward) -> dict:
    out = {"promotionId": r.promotion_id, "promotionCode": r.promotion_code, "promotionPublicName": r.public_name,
           "promotionPublicDescription": r.public_description, "promotionPublicRestrictions": r.public_restrictions,
           "promotionExpiration": r.expiration, "promotionValue": to_major(r.value), "rewardUuid": r.reward_uuid}
    if r.promotion_key is not None:  # only where promotionId cannot carry the id: else the seed's shape exactly
        out["promotionKey"] = r.promotion_key
    return out


def response_to_wire(resp: PosEventResponse) -> dict:
    """The LoyaltyPOSEventResponse body, keys in the seed's order."""
    return {
        "pointsEarned": resp.points_earned,
        "totalPoints": resp.total_points,
        "rewards": [_reward(r) for r in resp.rewards],
        "result": _result(resp.result),
        "nativeDiscountResults": [{"nativeDiscount": {"couponSourceCode": n.code} if n.code is not None else None,
                                   "result": _result(n.result)} for n in resp.native_discount_results],
    }


def _operation(r: w.Result) -> OperationResult:
    try:
        status = StatusCode(r.statusCode)
    except ValueError:
        raise invalid_input(f"result.statusCode: unknown status {r.statusCode}") from None
    return OperationResult(status, r.description, r.exceptionTrackingMoniker)


def response_from_wire(r: w.LoyaltyPOSEventResponse) -> PosEventResponse:
    """The domain response of a validated response body (clients and round-trip tests)."""
    rewards = tuple(Reward(x.promotionId, x.promotionCode, x.promotionPublicName, x.promotionPublicDescription,
                           x.promotionPublicRestrictions, x.promotionExpiration,
                           _scaled(x.promotionValue, 2, "rewards.promotionValue"), x.rewardUuid, x.promotionKey)
                    for x in r.rewards)
    natives = tuple(NativeDiscountResult(n.nativeDiscount.couponSourceCode if n.nativeDiscount else None,
                                         _operation(n.result)) for n in r.nativeDiscountResults or ())
    return PosEventResponse(r.pointsEarned, r.totalPoints, _operation(r.result), rewards, natives)
