"""Promotions in the store: validated on write, versioned, picked up by every worker's reloader.

A promotion is stored as the normalised JSON of its validated wire model (defaults filled in,
nulls dropped), so what GET answers is exactly what the engine runs. Writes are last-writer-wins
per promotion (no ETag): activate/deactivate read, change the status and write back.
"""
from __future__ import annotations

import orjson

from actors.sync import Leases, outstanding
from api.admin.common import reload_now
from api.services import Services
from dre.errors import DREError, Issue, invalid, not_found
from dre.money import to_major
from dre.promotion import Promotion, budget_limits, from_wire, parse_promotion
from dre.wire.promotion import PromotionIn

STATUSES = ("ACTIVE", "INACTIVE")


def _document(p: Promotion) -> bytes:
    return orjson.dumps(p.raw)


def validated(wire: PromotionIn, path_id: str | None = None) -> Promotion:
    """The domain promotion of a validated body; with ``path_id``, the body's id must match it.

    Raises DREError 400 (``id`` path) on a mismatch; from_wire's own checks raise 400 too.
    """
    if path_id is not None and wire.id != path_id:
        raise invalid(f"id {wire.id!r} does not match the URL's {path_id!r}",
                      [Issue("id", f"must be {path_id!r} (the id in the URL)")])
    return from_wire(wire)


async def list_promotions(services: Services, tenant: str) -> dict:
    """``{"promotions": [...], "version": n}`` sorted by id."""
    store = services.store
    version = await store.promotions.version(tenant)
    docs = await store.promotions.all(tenant)
    return {"promotions": [orjson.loads(docs[k]) for k in sorted(docs)], "version": version}


async def get_promotion(services: Services, tenant: str, promotion_id: str) -> dict:
    """The stored promotion JSON. Raises DREError 404."""
    doc = await services.store.promotions.get(tenant, promotion_id)
    if doc is None:
        raise not_found(f"promotion {promotion_id}")
    return orjson.loads(doc)


async def create_promotion(services: Services, tenant: str, wire: PromotionIn) -> tuple[dict, int]:
    """Store a new promotion; (document, version). Raises DREError 409 ALREADY_EXISTS."""
    promo = validated(wire)
    version = await services.store.promotions.create(tenant, promo.id, _document(promo).decode(), budget_limits(promo))
    await reload_now(services, tenant)
    return promo.raw, version


async def put_promotion(services: Services, tenant: str, promotion_id: str,
                        wire: PromotionIn) -> tuple[dict, int, bool]:
    """Create or replace; (document, version, created)."""
    promo = validated(wire, promotion_id)
    store = services.store
    existed = await store.promotions.get(tenant, promotion_id) is not None
    version = await store.promotions.put(tenant, promo.id, _document(promo).decode(), budget_limits(promo))
    await reload_now(services, tenant)
    return promo.raw, version, not existed


async def delete_promotion(services: Services, tenant: str, promotion_id: str) -> int:
    """Delete; returns the new version. Raises DREError 404."""
    version = await services.store.promotions.delete(tenant, promotion_id)
    await reload_now(services, tenant)
    return version


async def set_status(services: Services, tenant: str, promotion_id: str, status: str) -> tuple[dict, int]:
    """Activate or deactivate; (document, version). Raises DREError 404. Setting the status it
    already has still writes (and bumps the version): the call is idempotent in effect."""
    assert status in STATUSES
    current = await get_promotion(services, tenant, promotion_id)
    promo = parse_promotion({**current, "status": status}, "")
    version = await services.store.promotions.put(tenant, promo.id, _document(promo).decode(), budget_limits(promo))
    await reload_now(services, tenant)
    return promo.raw, version


def _limit(limit: int | None, consumed: int, leased: int | None, money: bool) -> dict:
    """``consumed`` as stored counts the budget leases local instances hold (taken out when
    granted): shown apart (``outstandingLeases``, only for a promotion ever leased: None), so
    that ``consumed`` is real sales; ``remaining`` is what neither sales nor leases took."""
    show = to_major if money else int
    sold = max(0, consumed - (leased or 0))
    out = {"limit": None if limit is None else show(limit), "consumed": show(sold),
           "remaining": None if limit is None else show(max(0, limit - consumed))}
    if leased is not None:
        out["outstandingLeases"] = show(leased)
    return out


async def budget(services: Services, tenant: str, promotion_id: str) -> dict:
    """``{"promotionId", "amount": {limit, consumed, remaining, outstandingLeases}, "redemptions":
    {...}, "perCustomerRedemptions"}``; money in major units, null where the promotion sets no
    such limit; ``consumed`` is real sales, ``outstandingLeases`` what local instances hold of
    the budget unsold (docs/local-store.md).
    Raises DREError 404 for an unknown promotion."""
    doc = await get_promotion(services, tenant, promotion_id)
    try:
        promo = parse_promotion(doc, "")
    except DREError:  # stored by hand and no longer valid: still show what was consumed
        promo = None
    limits = promo.budget if promo is not None else None
    state = await services.store.budgets.get(tenant, promotion_id)
    leases = await Leases(services.store.core).of(tenant, promotion_id)
    return {
        "promotionId": promotion_id,
        "amount": _limit(limits.amount if limits else None, state.amount_consumed_cents,
                         outstanding(leases, "amount") if leases else None, money=True),
        "redemptions": _limit(limits.redemptions if limits else None, state.redemptions_consumed,
                              outstanding(leases, "redemptions") if leases else None, money=False),
        "perCustomerRedemptions": limits.per_customer if limits else None,
    }
