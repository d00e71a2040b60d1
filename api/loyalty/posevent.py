"""Booking a loyalty POS event: points once per event, native discounts redeemed, rewards listed.

Order of the steps, and why:

0. The event's replay key is claimed for its body (``store.loyalty.claim`` with the event's
   fingerprint): the same key with another body is refused (409) before anything of it is done,
   so a changed replay redeems no new native discount and books nothing; the same body goes on.
1. The native discount codes are checked (read only) so that LOYALTY promotions gated on a
   coupon see them; the points are computed from the tenant's current set at the bill's time, on the engine's
   lanes (api.loyalty.pricing: off the event loop, under the pricing deadline).
2. Each native discount is reserved for a synthetic transaction derived from the replay key and
   redeemed. Reserve is idempotent per (code, transaction), so a replay finds its own
   reservation (``replayed``) and its second redeem (ALREADY_REDEEMED) counts as done: the same
   answer again, nothing redeemed twice.
3. The points are booked with ``store.loyalty.book`` under the replay key: the first booking's numbers
   come back on a replay (statusCode 6) and nothing is added. Booking last means a crash before
   it is retried as a whole by the POS, and every earlier step is idempotent.
4. Rewards: the member's codes (issued to or activated by them) that are usable now, each with
   its promotion's integer id and face value (dre.loyalty.rewards).
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import trio

from actors.store import Store
from actors.store_ops.loyalty import event_conflict
from api.evaluate import REASON_STATUS, check_coupons
from api.loyalty.pricing import price_points
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
    fingerprint,
    replay_key,
    to_basket,
)
from dre.loyalty.rewards import promotion_number, reward_value
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
        value, what = reward_value(promo) if promo else (0, "")
        kind = f"coupon type {c.coupon_type_id}" if c.coupon_type_id else None
        number = promotion_number(pid) if pid else 0
        key = pid if pid and str(number) != pid else None  # promotionKey only where promotionId is an alias
        rewards.append(Reward(number, code, promo.name if promo else c.coupon_type_id, what or kind, None, expires,
                              value, code, key))
    return tuple(rewards[:MAX_REWARDS])


async def book_event(services: Services, tenant: str, event: PosEvent, moniker: str | None) -> PosEventResponse:
    """The answer to a parsed event (statusCode 0, or 6 for a replay).

    Raises DREError: 409 EVENT_CONFLICT when the key was claimed by another body (nothing done);
    503 when the store or the engine cannot answer (nothing is booked then; a retry is safe);
    another 4xx when the store refuses the booking (nothing booked)."""
    store = services.store
    key = replay_key(event)
    transaction = event_transaction(key)
    member = event.loyalty_number
    body = fingerprint(event)
    if await store.loyalty.claim(tenant, member, key, body) == "OTHER":
        raise event_conflict(key)
    pset = services.engine.current(tenant)
    numbers = list(dict.fromkeys(str(ln.item_id) for ln in event.lines))
    groups = await store.articles.groups(tenant, numbers)
    basket = replace(to_basket(event, groups=groups), transaction_id=transaction)
    ctx = Context(coupons=await check_coupons(store, tenant, basket, services.static_coupons.get(tenant, {})),
                  exhausted=await services.budgets.get(tenant))
    points, _ = await price_points(services.engine, pset, event, ctx, groups)
    natives = [await redeem_native(store, tenant, code, transaction, member) for code in event.native_discounts]
    booking = await store.loyalty.book(tenant, member, key, points, fingerprint=body)
    status = StatusCode.SUCCESS_DATA_UNCHANGED if booking.replayed else StatusCode.SUCCESS
    description = "event already booked: data unchanged" if booking.replayed else "points booked"
    rewards = await member_rewards(store, tenant, member, pset)
    return PosEventResponse(booking.points_earned, booking.total_points, OperationResult(status, description, moniker),
                            rewards, tuple(natives))
