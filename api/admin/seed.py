"""DRE_PROMOTIONS_FILE into the store: the first tenant's starting rules, written once."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import orjson
import pydantic

from actors.store import Store
from api.admin.coupon_types import store_coupon_type
from dre.errors import DREError
from dre.promotion import Promotion
from dre.wire.convert import validation_error
from dre.wire.coupon_type import CouponTypeIn

log = logging.getLogger("dre.api")


def file_coupon_types(path: Path) -> list[CouponTypeIn]:
    """The ``couponTypes`` of a promotion file (``{"promotions", "couponTypes"}``), validated.
    Raises DREError 400 naming the failing path."""
    data = orjson.loads(path.read_bytes())
    raw = data.get("couponTypes", []) if isinstance(data, dict) else []
    out = []
    for i, item in enumerate(raw):
        try:
            out.append(CouponTypeIn.model_validate(item))
        except pydantic.ValidationError as exc:
            raise validation_error(exc, f"couponTypes[{i}]") from None
    return out


async def seed_from_file(store: Store, tenant: str, path: Path, promotions: Sequence[Promotion]) -> int:
    """Write the file's promotions (already validated) and coupon types into the store if the
    tenant's promotions were never written; returns how many promotions were written (0: the
    store already had the tenant's rules, which win)."""
    types = file_coupon_types(path)
    written = await store.promotions_seed(tenant, {p.id: orjson.dumps(p.raw).decode() for p in promotions})
    if written:
        for ct in types:
            try:
                await store_coupon_type(store, tenant, ct, create_only=True)
            except DREError as exc:  # a type made through the admin API already: it wins
                log.warning("coupon type from the file not written", extra={"type": ct.id, "error": exc.message})
    return written
