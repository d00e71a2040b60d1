"""Booking a loyalty POS event: points once per event, native discounts redeemed, rewards listed.

Order of the steps, and why:

1. The native discount codes are checked (read only) so that LOYALTY promotions gated on a
   coupon see them; the points are computed from the tenant's current set at the bill's time.
2. Each native discount is reserved for a synthetic transaction derived from the replay key and
   redeemed. Reserve is idempotent per (code, transaction), so a replay finds its own
   reservation (``replayed``) and its second redeem (ALREADY_REDEEMED) counts as done: the same
   answer again, nothing redeemed twice.
3. The points are booked with ``store.loyalty.book`` under the replay key: the first booking's numbers
   come back on a replay (statusCode 6) and nothing is added. Booking last means a crash before
   it is retried as a whole by the POS, and every earlier step is idempotent.
4. Rewards: the member's codes (issued to or activated by them) that are usable now.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import trio

from actors.store import Store
from api.evaluate import REASON_STATUS, check_coupons
from api.services import Services
from dre.clock import iso_ms
from dre.errors import DREError
from dre.loyalty import (
    NativeDiscountResult,
    OperationResult,
    PosEvent,
    PosEventResponse,
    Reward,
    StatusCode,
    points_for,
    replay_key,
    to_basket,
)
from dre.pricing import Context, PromotionSet

TXN_PREFIX = "posevent:"  # synthetic transaction ids of native discount reservations
MAX_REWARDS = 50  # rewards listed per answer


def event_transaction(key: str) -> str:
    """The transaction id native discounts of one event are reserved under (stable per replay key)."""
    return TXN_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:32]


def _failed(code: str, reason: str) -> NativeDiscountResult:
    status = REASON_STATUS.get(reason, reason)
    return NativeDiscountResult(code, OperationResult(StatusCode.INCORRECT_ARGUMENTS, f"coupon {code}: {status}"))


async def redeem_native(store: Store, tenant: str, code: str, transaction: str, member: str) -> NativeDiscountResult:
    """Reserve and redeem one native discount code for the event (idempotent per event).
    Raises DREError 503 only (every refusal is answered in the result)."""
    try:
        held = await store.coupons.reserve(tenant, code, transaction, customer_id=member)
    except DREError as exc:
        if exc.status >= 500:
            raise
        return _failed(code, "INVALID" if exc.status == 404 else (exc.details[0].issue if exc.details else exc.code))
    try:
        await store.coupons.redeem(tenant, held.reservation_id)
    except DREError as exc:
        if exc.status >= 500:
            raise
        if not (exc.code == "ALREADY_REDEEMED" and held.replayed):  # a replay: it was ours
            return _failed(code, exc.details[0].issue if exc.details else exc.code)
    return NativeDiscountResult(code, OperationResult(StatusCode.SUCCESS, "redeemed"))


def _promotion_number(pid: str) -> int:
    # The seed's promotionId is an integer; ours are strings. Numeric ids pass through, others 0
    # (the code in promotionCode identifies the reward).
    return int(pid) if pid.isdigit() and len(pid) < 10 else 0


async def member_rewards(store: Store, tenant: str, member: str, pset: PromotionSet) -> tuple[Reward, ...]:
    """The member's usable codes, as rewards (by code)."""
    codes = await store.coupons.of_customer(tenant, member)
    checks = {}

    async def check(code: str) -> None:
        checks[code] = await store.coupons.validate(tenant, code, customer_id=member)

    async with trio.open_nursery() as nursery:  # concurrent: the store actor batches them
        for code in codes:
            nursery.start_soon(check, code)
    rewards = []
    for code in codes:
        c = checks[code]
        if not c.valid:
            continue
        pid = c.promotion_ids[0] if c.promotion_ids else ""
        promo = pset.by_id.get(pid)
        expires = iso_ms(c.valid_to_ms, "auto") if c.valid_to_ms else None
        rewards.append(Reward(_promotion_number(pid), code, promo.name if promo else c.coupon_type_id,
                              f"coupon type {c.coupon_type_id}" if c.coupon_type_id else None, None, expires,
                              0, code))
    return tuple(rewards[:MAX_REWARDS])


async def book_event(services: Services, tenant: str, event: PosEvent, moniker: str | None) -> PosEventResponse:
    """The answer to a parsed event (statusCode 0, or 6 for a replay). Raises DREError 503 when
    the store cannot be reached (nothing is booked then; a retry is safe)."""
    store = services.store
    key = replay_key(event)
    transaction = event_transaction(key)
    member = event.loyalty_number
    pset = services.engine.current(tenant)
    numbers = list(dict.fromkeys(str(ln.item_id) for ln in event.lines))
    groups = await store.articles.groups(tenant, numbers)
    basket = replace(to_basket(event, groups=groups), transaction_id=transaction)
    ctx = Context(coupons=await check_coupons(store, tenant, basket, services.static_coupons.get(tenant, {})),
                  exhausted=await services.budgets.get(tenant))
    points, _ = points_for(event, pset, ctx, groups=groups)
    natives = [await redeem_native(store, tenant, code, transaction, member) for code in event.native_discounts]
    booking = await store.loyalty.book(tenant, member, key, points)
    status = StatusCode.SUCCESS_DATA_UNCHANGED if booking.replayed else StatusCode.SUCCESS
    description = "event already booked: data unchanged" if booking.replayed else "points booked"
    rewards = await member_rewards(store, tenant, member, pset)
    return PosEventResponse(booking.points_earned, booking.total_points, OperationResult(status, description, moniker),
                            rewards, tuple(natives))
