"""Coupon types in the store (``/admin/coupon-types``) and code generation.

The admin document is kept verbatim (normalised) in the type's ``json`` field; the store's own
fields (kind, limits in ms, promotionIds) are what the coupon scripts read. Every write bumps the
tenant's promotions version, because a type's ``promotionIds`` gate those promotions; the writes
here return that version for the route's ``X-Promotions-Version`` header, as promotion writes do.
It is read right after the write (the coupon-type scripts answer only new / deleted), so with a
concurrent write it may be a later version: one that includes this write all the same.

A type's kind and a GENERIC type's code cannot change on replace: codes already handed out
would silently change meaning (delete the type and create a new one instead).
"""
from __future__ import annotations

import orjson

from api.admin.common import reload_now
from api.services import Services
from dre.errors import Issue, invalid, not_found
from dre.wire.coupon_type import CouponTypeIn

MAX_GENERATE = 10_000  # codes per generate call (one store script; a bigger batch: call again)


def document(ct: CouponTypeIn) -> dict:
    """The normalised admin JSON of a validated coupon type."""
    return ct.model_dump(mode="json", exclude_none=True)


async def list_coupon_types(services: Services, tenant: str) -> dict:
    types = await services.store.coupon_types.all(tenant)
    return {"couponTypes": [orjson.loads(t["json"]) for t in types if t.get("json")]}


async def get_coupon_type(services: Services, tenant: str, type_id: str) -> dict:
    """The admin document. Raises DREError 404."""
    found = await services.store.coupon_types.get(tenant, type_id)
    if not found or not found.get("json"):
        raise not_found(f"coupon type {type_id}")
    return orjson.loads(found["json"])


async def create_coupon_type(services: Services, tenant: str, ct: CouponTypeIn) -> tuple[dict, int]:
    """(document, promotions version). Raises DREError 409 ALREADY_EXISTS or COUPON_CODE_TAKEN."""
    store = services.store
    await store.coupon_types.put_validated(tenant, ct, create_only=True)
    version = await store.promotions.version(tenant)
    await reload_now(services, tenant)
    return document(ct), version


async def put_coupon_type(services: Services, tenant: str, type_id: str,
                          ct: CouponTypeIn) -> tuple[dict, int, bool]:
    """Create or replace; (document, promotions version, created). Raises DREError 400 (id
    mismatch, kind or code changed), 409 COUPON_CODE_TAKEN."""
    if ct.id != type_id:
        raise invalid(f"id {ct.id!r} does not match the URL's {type_id!r}",
                      [Issue("id", f"must be {type_id!r} (the id in the URL)")])
    store = services.store
    old = await store.coupon_types.get(tenant, type_id)
    if old:
        if old.get("kind") != ct.type:
            raise invalid("the type of a coupon type cannot change", [Issue("type", f"must stay {old.get('kind')}")])
        if (old.get("code") or None) != ct.code:
            raise invalid("the shared code of a GENERIC coupon type cannot change",
                          [Issue("code", f"must stay {old.get('code')!r}")])
    created = await store.coupon_types.put_validated(tenant, ct, create_only=False)
    version = await store.promotions.version(tenant)
    await reload_now(services, tenant)
    return document(ct), version, created


async def set_status(services: Services, tenant: str, type_id: str, status: str) -> tuple[dict, int]:
    """Activate or deactivate a type; (document, promotions version). Raises DREError 404. Like a
    promotion's, setting the status it already has still writes: idempotent in effect. An
    INACTIVE type blocks every one of its codes (docs/confirm.md)."""
    current = await get_coupon_type(services, tenant, type_id)
    ct = CouponTypeIn.model_validate({**current, "status": status})
    store = services.store
    await store.coupon_types.put_validated(tenant, ct, create_only=False)
    version = await store.promotions.version(tenant)
    await reload_now(services, tenant)
    return document(ct), version


async def delete_coupon_type(services: Services, tenant: str, type_id: str) -> int:
    """Delete; returns the promotions version after it. Raises DREError 404."""
    store = services.store
    if not await store.coupon_types.delete(tenant, type_id):
        raise not_found(f"coupon type {type_id}")
    version = await store.promotions.version(tenant)
    await reload_now(services, tenant)
    return version


async def generate_codes(services: Services, tenant: str, type_id: str, count: int) -> dict:
    """``{"codes": [...]}``: ``count`` new ACTIVE codes. Raises DREError 400 (count), 404, 409
    COUPON_UNAVAILABLE (a GENERIC type has one shared code)."""
    if not 1 <= count <= MAX_GENERATE:
        raise invalid(f"count must be between 1 and {MAX_GENERATE}", [Issue("count", f"1..{MAX_GENERATE}")])
    return {"codes": await services.store.coupons.generate(tenant, type_id, count)}
