"""Coupon types: what the admin API writes and lists (a GENERIC type with its one code), and
what code creation reads (prefix, length, validity, promotions)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Sequence

import orjson
import trio

from actors.store_ops.base import StorePart
from dre.store import keys
from dre.store.records import NO_LIMIT, now_ms
from dre.wire.coupon_type import CouponTypeIn


def _epoch_ms(t: datetime | None) -> int | None:
    """Epoch ms of a wire time; a time without offset is UTC (as for promotions)."""
    if t is None:
        return None
    return int((t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp() * 1000)


def _ms_or_blank(v: int | None) -> int | str:
    return "" if v is None else v


def _type_document(type_id: str, kind: str, status: str, prefix: str, code_length: int, max_r: int,
                   max_per_customer: int, valid_from_ms: int | None, valid_to_ms: int | None,
                   promotion_ids: Sequence[str], code: str, stackable: bool) -> dict:
    """The coupon type JSON (validated by the admin API's own model), for writers that give
    fields rather than a document."""
    def when(ms_: int | None) -> datetime | None:
        return None if ms_ is None else datetime.fromtimestamp(ms_ / 1000, timezone.utc)

    return CouponTypeIn(
        id=type_id, type=kind, status=status, prefix=prefix, codeLength=code_length,
        maxRedemptions=None if max_r == NO_LIMIT else max_r,
        maxRedemptionsPerCustomer=None if max_per_customer == NO_LIMIT else max_per_customer,
        validFrom=when(valid_from_ms), validTo=when(valid_to_ms), promotionIds=list(promotion_ids),
        code=code if kind == "GENERIC" else None, isStackable=stackable,
    ).model_dump(mode="json", exclude_none=True)


class CouponTypes(StorePart):
    """``store.coupon_types``: the tenant's coupon types, by id."""

    async def put(
        self,
        tenant: str,
        type_id: str,
        *,
        kind: str,
        status: str = "ACTIVE",
        prefix: str = "",
        code_length: int = 10,
        max_redemptions: int = NO_LIMIT,
        max_redemptions_per_customer: int = NO_LIMIT,
        valid_from_ms: int | None = None,
        valid_to_ms: int | None = None,
        promotion_ids: Sequence[str] = (),
        code: str = "",
        stackable: bool = True,
        document: str | None = None,
        now: int | None = None,
        create_only: bool = False,
    ) -> bool:
        """Create or replace a coupon type (``document``: its JSON as the admin API answers it;
        built from the other arguments when not given, so that every stored type lists whole).

        A GENERIC type's one ``code`` is created ACTIVE (or updated; uses so far are kept). The
        tenant's promotions version is bumped (the type's promotionIds gate promotions).
        Returns True if the type is new. Raises DREError 409 COUPON_CODE_TAKEN when the GENERIC
        code belongs to another type, 409 ALREADY_EXISTS with ``create_only`` when the type
        exists; ValueError for a GENERIC type without a code.
        """
        if kind not in ("GENERIC", "INDIVIDUAL"):
            raise ValueError(f"coupon type kind {kind!r}")
        if kind == "GENERIC" and not code:
            raise ValueError("a GENERIC coupon type names its code")
        if document is None:
            document = json.dumps(_type_document(type_id, kind, status, prefix, code_length, max_redemptions,
                                                 max_redemptions_per_customer, valid_from_ms, valid_to_ms,
                                                 promotion_ids, code, stackable))
        k = [
            keys.coupon_type(tenant, type_id),
            keys.coupon_types(tenant),
            keys.coupon(tenant, code) if kind == "GENERIC" else keys.none_key(tenant),
            keys.promotions_version(tenant),
        ]
        args = [
            type_id, kind, status, prefix, code_length, max_redemptions,
            max_redemptions_per_customer, _ms_or_blank(valid_from_ms), _ms_or_blank(valid_to_ms),
            json.dumps(list(promotion_ids)), code if kind == "GENERIC" else "", document,
            now if now is not None else now_ms(), "1" if create_only else "0", "1" if stackable else "0",
        ]
        s = self._core.scripts.coupon_type_put
        return await self._core.call_script(s, k, args, lambda r: bool(int(r)))

    async def put_validated(self, tenant: str, ct: CouponTypeIn, *, create_only: bool) -> bool:
        """:meth:`put` of a validated admin type (the admin API's, the start-up seeding's and a
        local instance's sync's one path), its normalised JSON kept as the document. True if new.
        Raises DREError 409 ALREADY_EXISTS (create_only) or COUPON_CODE_TAKEN."""
        return await self.put(
            tenant, ct.id, kind=ct.type, status=ct.status, prefix=ct.prefix, code_length=ct.codeLength,
            max_redemptions=ct.maxRedemptions or NO_LIMIT,
            max_redemptions_per_customer=ct.maxRedemptionsPerCustomer or NO_LIMIT,
            valid_from_ms=_epoch_ms(ct.validFrom), valid_to_ms=_epoch_ms(ct.validTo),
            promotion_ids=ct.promotionIds, code=ct.code or "", stackable=ct.isStackable,
            document=orjson.dumps(ct.model_dump(mode="json", exclude_none=True)).decode(),
            create_only=create_only)

    async def get(self, tenant: str, type_id: str) -> dict[str, str] | None:
        """The stored fields of a coupon type (``json`` holds the admin document), or None."""
        key = keys.coupon_type(tenant, type_id)
        return await self._core.call(lambda p: p.hgetall(key), lambda r: r or None)

    async def all(self, tenant: str) -> list[dict[str, str]]:
        """Every coupon type's stored fields (``json`` holds its admin document), by id.

        One SMEMBERS, then every type's HGETALL at once (the actor runs them as one pipeline).
        A type deleted between the two reads is left out.
        """
        ids = sorted(await self._core.call(lambda p: p.smembers(keys.coupon_types(tenant))))
        found: dict[str, dict[str, str]] = {}

        async def read(type_id: str) -> None:
            key = keys.coupon_type(tenant, type_id)
            fields = await self._core.call(lambda p: p.hgetall(key))
            if fields:
                found[type_id] = fields

        async with trio.open_nursery() as nursery:  # cancelled with the caller; no task outlives it
            for type_id in ids:
                nursery.start_soon(read, type_id)
        return [found[i] for i in ids if i in found]

    async def delete(self, tenant: str, type_id: str, now: int | None = None) -> bool:
        """Delete a coupon type (its GENERIC code is CANCELLED) and bump the promotions version.
        Returns False if there was no such type."""
        code = await self._core.call(lambda p: p.hget(keys.coupon_type(tenant, type_id), "code"))
        k = [keys.coupon_type(tenant, type_id), keys.coupon_types(tenant), keys.promotions_version(tenant),
             keys.coupon(tenant, code) if code else keys.none_key(tenant)]
        s = self._core.scripts.coupon_type_delete
        return await self._core.call_script(s, k, [type_id, now if now is not None else now_ms()],
                                            lambda r: bool(int(r)))
