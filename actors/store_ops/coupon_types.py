"""Coupon types as the admin API sees them (listing, deletion) and a customer's codes."""
from __future__ import annotations

import trio

from actors.store_ops.base import CallsStore
from dre.store import keys
from dre.store.records import now_ms

MAX_CUSTOMER_CODES = 200  # codes of one customer read at most (rewards list; newest are not
# distinguishable in a SET, so a customer with more codes sees an arbitrary 200 of them)


class CouponTypeOps:
    async def coupon_types_all(self: CallsStore, tenant: str) -> list[dict[str, str]]:
        """Every coupon type's stored fields (``json`` holds its admin document), by id.

        One SMEMBERS, then every type's HGETALL at once (the actor runs them as one pipeline).
        A type deleted between the two reads is left out.
        """
        ids = sorted(await self.call(lambda p: p.smembers(keys.coupon_types(tenant))))
        found: dict[str, dict[str, str]] = {}

        async def read(type_id: str) -> None:
            key = keys.coupon_type(tenant, type_id)
            fields = await self.call(lambda p: p.hgetall(key))
            if fields:
                found[type_id] = fields

        async with trio.open_nursery() as nursery:  # cancelled with the caller; no task outlives it
            for type_id in ids:
                nursery.start_soon(read, type_id)
        return [found[i] for i in ids if i in found]

    async def coupon_type_delete(self: CallsStore, tenant: str, type_id: str, now: int | None = None) -> bool:
        """Delete a coupon type (its GENERIC code is CANCELLED) and bump the promotions version.
        Returns False if there was no such type."""
        code = await self.call(lambda p: p.hget(keys.coupon_type(tenant, type_id), "code"))
        k = [keys.coupon_type(tenant, type_id), keys.coupon_types(tenant), keys.promotions_version(tenant),
             keys.coupon(tenant, code) if code else keys.none_key(tenant)]
        s = self.scripts.coupon_type_delete
        return await self.call_script(s, k, [type_id, now if now is not None else now_ms()],
                                      lambda r: bool(int(r)))

    async def customer_coupon_codes(self: CallsStore, tenant: str, customer_id: str,
                                    limit: int = MAX_CUSTOMER_CODES) -> list[str]:
        """Codes issued to or activated by ``customer_id`` (any state; sorted), at most ``limit``."""
        key = keys.customer_coupons(tenant, customer_id)
        codes = await self.call(lambda p: p.srandmember(key, limit) if limit else p.smembers(key))
        return sorted(codes or ())
