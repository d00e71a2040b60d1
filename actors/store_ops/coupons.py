"""Coupons: types, code creation, validate / reserve / redeem / cancel / activate, expiry sweep."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Sequence

from actors.store_ops.base import DAY_S, CallsStore, ms
from dre.errors import conflict, not_found
from dre.store import codes, keys
from dre.wire.coupon_type import CouponTypeIn
from dre.store.records import NO_LIMIT, CouponCheck, IssuedCode, Redemption, Reservation, now_ms

RESERVATION_TTL_S = 15 * 60  # a reservation not redeemed within this returns to ACTIVE
RESERVATION_INDEX_TTL_S = 2 * DAY_S  # how long a reservationId can still be redeemed/cancelled
# (answered with its final state) after it was made
MAX_CODE_DRAWS = 5  # collision rounds before giving up (a collision is already ~never)


def _ms_or_blank(v: int | None) -> int | str:
    return "" if v is None else v


def _type_document(type_id: str, kind: str, status: str, prefix: str, code_length: int, max_r: int,
                   max_per_customer: int, valid_from_ms: int | None, valid_to_ms: int | None,
                   promotion_ids: Sequence[str], code: str) -> dict:
    """The coupon type JSON (validated by the admin API's own model), for writers that give
    fields rather than a document."""
    def when(ms_: int | None) -> datetime | None:
        return None if ms_ is None else datetime.fromtimestamp(ms_ / 1000, timezone.utc)

    return CouponTypeIn(
        id=type_id, type=kind, status=status, prefix=prefix, codeLength=code_length,
        maxRedemptions=None if max_r == NO_LIMIT else max_r,
        maxRedemptionsPerCustomer=None if max_per_customer == NO_LIMIT else max_per_customer,
        validFrom=when(valid_from_ms), validTo=when(valid_to_ms), promotionIds=list(promotion_ids),
        code=code if kind == "GENERIC" else None,
    ).model_dump(mode="json", exclude_none=True)


class CouponOps:
    # -- types and codes --------------------------------------------------------------------

    async def coupon_type_put(
        self: CallsStore,
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
                                                 promotion_ids, code))
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
            now if now is not None else now_ms(), "1" if create_only else "0",
        ]
        s = self.scripts.coupon_type_put
        return await self.call_script(s, k, args, lambda r: bool(int(r)))

    async def coupon_type_get(self: CallsStore, tenant: str, type_id: str) -> dict[str, str] | None:
        """The stored fields of a coupon type (``json`` holds the admin document), or None."""
        key = keys.coupon_type(tenant, type_id)
        return await self.call(lambda p: p.hgetall(key), lambda r: r or None)

    async def coupon_get(self: CallsStore, tenant: str, code: str) -> dict[str, str] | None:
        """The raw stored fields of a code (admin / tests), or None. No expiry is applied."""
        key = keys.coupon(tenant, code)
        return await self.call(lambda p: p.hgetall(key), lambda r: r or None)

    async def coupon_issue(
        self, tenant: str, type_id: str, customer_ids: Sequence[str], now: int | None = None
    ) -> list[IssuedCode]:
        """New personalised codes (CREATED), one per customer, of an INDIVIDUAL type.

        Raises DREError 404 for an unknown type, 409 COUPON_UNAVAILABLE for a GENERIC one.
        """
        created = await self._create_codes(tenant, type_id, list(customer_ids), "coupon_issue", now)
        return [IssuedCode(c, cust) for c, cust in created]

    async def coupon_generate(
        self, tenant: str, type_id: str, count: int, now: int | None = None
    ) -> list[str]:
        """``count`` new ACTIVE codes of an INDIVIDUAL type (``prefix`` + random, ``codeLength``)."""
        created = await self._create_codes(tenant, type_id, [""] * count, "coupon_generate", now)
        return [c for c, _ in created]

    async def coupon_grant(
        self, tenant: str, type_id: str, owner: str, count: int, marker_key: str, grant_id: str,
        now: int | None = None,
    ) -> tuple[list[str], bool]:
        """``count`` new ACTIVE codes of an INDIVIDUAL type owned by ``owner`` ("" = anyone),
        exactly once per (``marker_key``, ``grant_id``): a repeated grant returns the codes of the
        first with ``replayed=True``. Returns (codes, replayed).

        The side-effects job grants post-purchase coupons with it, its job hash as the marker, so
        a job that is re-run after a crash does not issue a second set. Raises DREError 404 for an
        unknown type, 409 COUPON_UNAVAILABLE for a GENERIC one.
        """
        codes_, replayed = await self._create_codes(
            tenant, type_id, [owner] * count, "coupon_grant", now, marker=(marker_key, grant_id))
        return [c for c, _ in codes_], replayed

    async def _create_codes(
        self, tenant: str, type_id: str, owners: list[str], script: str, now: int | None,
        marker: tuple[str, str] | None = None,
    ) -> Any:
        """Draw, then create codes for ``owners`` with ``script`` (re-drawing collisions).

        Without ``marker``: returns [(code, owner)]. With ``marker`` (key, field; coupon_grant):
        returns ([(code, owner)], replayed).
        """
        t = await self.coupon_type_get(tenant, type_id)
        if t is None:
            raise not_found(f"coupon type {type_id}")
        if t.get("kind") != "INDIVIDUAL":
            raise conflict("COUPON_UNAVAILABLE", f"coupon type {type_id} is GENERIC: it has one shared code")
        prefix, length = t.get("prefix", ""), int(t.get("codeLength") or 10)
        chosen = [codes.new_code(prefix, length) for _ in owners]
        s = getattr(self.scripts, script)
        for _ in range(MAX_CODE_DRAWS):
            if len(set(chosen)) != len(chosen):  # a draw repeated within the batch
                chosen = [codes.new_code(prefix, length) for _ in owners]
                continue
            k = [keys.coupon(tenant, c) for c in chosen]
            if script == "coupon_issue":  # personal codes go into their customer's index too
                k += [keys.customer_coupons(tenant, owner) for owner in owners]
            args: list[Any] = [type_id, t.get("validFrom", ""), t.get("validTo", ""),
                               t.get("promotionIds", "[]"), now if now is not None else now_ms()]
            if marker is not None:
                k = [marker[0], *k]
                args = [marker[1], *args]
            for c, owner in zip(chosen, owners):
                args += [c, owner]
            reply = await self.call_script(s, k, args)
            if int(reply[0]) in (1, 2):
                if marker is None:
                    return list(zip(chosen, owners))
                made = list(reply[1:])  # the first grant's codes on a replay (2)
                return list(zip(made, owners)), int(reply[0]) == 2
            taken = set(reply[1:])  # codes that exist already: draw those again
            chosen = [codes.new_code(prefix, length) if c in taken else c for c in chosen]
        raise RuntimeError(f"could not draw free codes for {type_id} in {MAX_CODE_DRAWS} rounds")

    # -- transitions ------------------------------------------------------------------------

    async def coupon_validate(
        self: CallsStore,
        tenant: str,
        code: str,
        *,
        customer_id: str | None = None,
        transaction_id: str | None = None,
        now: int | None = None,
    ) -> CouponCheck:
        """Is ``code`` usable now (for this customer / transaction)? Never raises for a bad code:
        an unknown one is ``valid=False, reason="INVALID"``."""
        k = [
            keys.coupon(tenant, code), keys.coupon_customer_uses(tenant, code),
            keys.coupon_holds(tenant, code), keys.coupon_by_txn(tenant, code),
            keys.coupon_expiry(tenant),
        ]
        args = [code, now if now is not None else now_ms(), customer_id or "", transaction_id or ""]
        s = self.scripts.coupon_validate

        def parse(r: list) -> CouponCheck:
            status, reason, type_id, promos, valid_to, valid, held = r
            return CouponCheck(
                code=code, valid=bool(int(valid)), status=status or None, reason=reason or None,
                coupon_type_id=type_id or None, promotion_ids=tuple(json.loads(promos or "[]")),
                valid_to_ms=int(valid_to) if valid_to else None, held_reservation_id=held or None,
            )

        return await self.call_script(s, k, args, parse)

    async def coupon_reserve(
        self: CallsStore,
        tenant: str,
        code: str,
        transaction_id: str,
        *,
        customer_id: str | None = None,
        ttl_s: float = RESERVATION_TTL_S,
        now: int | None = None,
    ) -> Reservation:
        """ACTIVE -> RESERVED for ``transaction_id`` (GENERIC: one more hold). Idempotent per
        (code, transaction): a replay returns the same reservation with ``replayed=True``.

        Raises DREError 404 NOT_FOUND (unknown code), 409 COUPON_UNAVAILABLE (reason in
        details[0].issue), 503.
        """
        rid = codes.new_token("R")
        k = [
            keys.coupon(tenant, code), keys.coupon_customer_uses(tenant, code),
            keys.coupon_holds(tenant, code), keys.coupon_by_txn(tenant, code),
            keys.coupon_expiry(tenant), keys.reservation(tenant, rid),
        ]
        args = [code, transaction_id, customer_id or "", now if now is not None else now_ms(),
                ms(ttl_s), rid, ms(RESERVATION_INDEX_TTL_S)]
        s = self.scripts.coupon_reserve

        def parse(r: list) -> Reservation:
            return Reservation(r[0], code, transaction_id, int(r[1]), bool(int(r[2])))

        return await self.call_script(s, k, args, parse)

    async def _reservation(self: CallsStore, tenant: str, reservation_id: str) -> dict[str, str]:
        # The reservation index is written once by reserve and never changes, so reading it
        # before the script is race-free; the script re-checks the reservation itself.
        key = keys.reservation(tenant, reservation_id)
        found = await self.call(lambda p: p.hgetall(key))
        if not found:
            raise not_found(f"reservation {reservation_id}")
        return found

    async def coupon_redeem(
        self, tenant: str, reservation_id: str, now: int | None = None
    ) -> Redemption:
        """RESERVED -> REDEEMED. Not idempotent: a second redeem raises DREError 409
        ALREADY_REDEEMED. Also 404 NOT_FOUND, 409 COUPON_UNAVAILABLE (expired, cancelled,
        per-customer limit), 503."""
        r = await self._reservation(tenant, reservation_id)
        code, txn = r["code"], r["transactionId"]
        k = [
            keys.coupon(tenant, code), keys.coupon_customer_uses(tenant, code),
            keys.coupon_holds(tenant, code), keys.coupon_by_txn(tenant, code),
            keys.coupon_expiry(tenant),
        ]
        args = [code, txn, reservation_id, now if now is not None else now_ms()]
        s = self.scripts.coupon_redeem
        return await self.call_script(s, k, args, lambda x: Redemption(*x))

    async def coupon_cancel(self, tenant: str, reservation_id: str, now: int | None = None) -> str:
        """RESERVED -> ACTIVE. Idempotent. Returns CANCELLED, or EXPIRED if it had lapsed.
        Raises DREError 404 NOT_FOUND, 409 COUPON_UNAVAILABLE (already redeemed), 503."""
        r = await self._reservation(tenant, reservation_id)
        code, txn = r["code"], r["transactionId"]
        k = [
            keys.coupon(tenant, code), keys.coupon_holds(tenant, code),
            keys.coupon_by_txn(tenant, code), keys.coupon_expiry(tenant),
        ]
        args = [code, txn, reservation_id, now if now is not None else now_ms()]
        s = self.scripts.coupon_cancel
        return await self.call_script(s, k, args, lambda x: x[1])

    async def coupon_activate(
        self: CallsStore, tenant: str, code: str, customer_id: str, now: int | None = None
    ) -> str:
        """CREATED -> ACTIVE for ``customer_id``; idempotent. Returns the status (ACTIVE).
        Raises DREError 404 NOT_FOUND, 409 COUPON_UNAVAILABLE (wrong customer, wrong state)."""
        k = [keys.coupon(tenant, code), keys.customer_coupons(tenant, customer_id)]
        args = [code, customer_id, now if now is not None else now_ms()]
        s = self.scripts.coupon_activate
        return await self.call_script(s, k, args, lambda x: x[1])

    async def sweep_reservations(self, tenant: str, now: int | None = None, limit: int = 500) -> int:
        """Release up to ``limit`` codes' expired reservations (a job actor calls it
        periodically; every coupon script also does it lazily). Returns codes looked at."""
        now = now if now is not None else now_ms()
        expiry = keys.coupon_expiry(tenant)
        due = await self.call(lambda p: p.zrangebyscore(expiry, "-inf", now, start=0, num=limit))
        s = self.scripts.coupon_release
        for code in due:
            k = [keys.coupon(tenant, code), keys.coupon_holds(tenant, code), expiry]
            await self.call_script(s, k, [code, now])
        return len(due)
