"""DRE_PROMOTIONS_FILE at start-up: the first tenant's starting rules, written into the store once.

``api.worker.open_services`` calls :func:`load_start_promotions` before the reloader starts.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import orjson
import pydantic

from actors.engine import build_promotion_set
from actors.reloader import LOCAL_FILE_VERSION
from actors.store import Store
from api.services import Services
from dre.errors import DREError
from dre.promotion import Promotion, coupon_gates
from dre.promotion.cache import PromotionCache
from dre.promotion.rules_file import load_rules, raw_coupon_types, validated_context
from dre.wire.convert import validation_error
from dre.wire.coupon_type import CouponTypeIn

log = logging.getLogger("dre.api")


def file_coupon_types(path: Path) -> list[CouponTypeIn]:
    """The ``couponTypes`` of a promotion file (``{"promotions", "couponTypes"}``), validated.
    Raises DREError 400 naming the failing path."""
    out = []
    for i, item in enumerate(raw_coupon_types(path)):
        try:
            out.append(CouponTypeIn.model_validate(item))
        except pydantic.ValidationError as exc:
            raise validation_error(exc, f"couponTypes[{i}]") from None
    return out


def stored_documents(promotions: Sequence[Promotion]) -> dict[str, str]:
    """Promotion id -> the JSON document the store keeps for it (the reloader parses these)."""
    return {p.id: orjson.dumps(p.raw).decode() for p in promotions}


async def seed_from_file(store: Store, tenant: str, documents: dict[str, str], types: Sequence[CouponTypeIn]) -> int:
    """Write the file's promotions (already validated: ``stored_documents``) and coupon types
    (``file_coupon_types``) into the store if the tenant's promotions were never written; returns
    how many promotions were written (0: the store already had the tenant's rules, which win)."""
    written = await store.promotions.seed(tenant, documents)
    if written:
        for ct in types:
            try:
                await store.coupon_types.put_validated(tenant, ct, create_only=True)
            except DREError as exc:  # a type made through the admin API already: it wins
                log.warning("coupon type from the file not written", extra={"type": ct.id, "error": exc.message})
    return written


async def load_start_promotions(services: Services) -> dict[str, Promotion]:
    """Apply DRE_PROMOTIONS_FILE (if set) to the first tenant; raises DREError on a bad file.

    With a store, the store is the one source of truth for every worker: the file's promotions
    (and coupon types) are written into it only while the tenant's promotions were never written
    (version 0, atomically, so workers starting together seed once), and the reloader then loads
    them like any admin write. Without a store the file is loaded into this worker directly.

    Returns the file's promotions not gated by its coupon types, by their stored document: the
    reloader's first load takes these as they are instead of parsing the same JSON again.
    """
    path = services.config.promotions_file
    if path is None:
        return {}
    tenant = services.config.first_tenant
    cache = PromotionCache.in_data_dir(services.config.data_dir)
    if services.store.available and await _written_before(services.store, tenant):
        # A restart: the store's rules win and the file is not seeded; only its coupon context
        # is needed, which the cache keeps for a file this code validated (else: validate it).
        ctx = validated_context(path, cache)
        if ctx is not None:
            services.static_coupons[tenant] = ctx.coupons
            log.info("promotions in the store already: file not seeded", extra={"tenant": tenant, "file": str(path)})
            return {}
    promotions, ctx = load_rules(path, cache)
    services.static_coupons[tenant] = ctx.coupons
    if not services.store.available:
        services.engine.load(tenant, promotions)
        return {}
    documents = stored_documents(promotions)
    types = file_coupon_types(path)
    gated = coupon_gates(t.model_dump() for t in types)
    parsed = {documents[p.id]: p for p in promotions if p.id not in gated}
    try:
        await seed_from_file(services.store, tenant, documents, types)
    except DREError as exc:
        if exc.status != 503:
            raise
        # Store down at start-up: price with the file meanwhile. Its set carries version
        # LOCAL_FILE_VERSION, which the reloader keeps while the store has no rules (version
        # 0) and replaces once the store has some; the file is seeded by the next start.
        services.engine.swap(tenant, build_promotion_set(promotions, LOCAL_FILE_VERSION, services.engine.n_shards))
        log.warning("promotion file not seeded: store unavailable", extra={"error": exc.message})
    log.info("promotions loaded", extra={"tenant": tenant, "file": str(path), "count": len(promotions)})
    return parsed


async def _written_before(store: Store, tenant: str) -> bool:
    """Whether the store has the tenant's promotions already (False when it cannot say: then the
    seed itself decides, or finds the store down)."""
    try:
        return await store.promotions.written(tenant)
    except DREError:
        return False
