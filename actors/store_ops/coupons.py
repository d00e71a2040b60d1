"""Coupon codes: creation (issue, generate, grant), validate / reserve / redeem / cancel /
activate / void, the expiry sweep, and a customer's codes.

Every transition script also reads the code's coupon type (INACTIVE blocks its codes, its
maxRedemptionsPerCustomer counts over all its codes, isStackable), so each call first reads the
code's ``typeId``: a code's type never changes once it exists, so that read cannot go stale, and a
code created between the two reads is unknown to the call (see ``load_code`` in _common.lua).
"""
from __future__ import annotations

import functools
import json
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from actors.store_ops.base import DAY_S, CallsStore, StorePart, ms
from actors.store_ops.coupon_types import CouponTypes
from dre.errors import DREError, conflict, not_found
from dre.store import codes, keys, sync_keys
from dre.store.records import CodeValidation, IssuedCode, Redemption, Reservation, now_ms

RESERVATION_TTL_S = 15 * 60  # a reservation not redeemed within this returns to ACTIVE
RESERVATION_INDEX_TTL_S = 2 * DAY_S  # how long a reservationId can still be redeemed/cancelled
# (answered with its final state) after it was made
_RESERVATION_TTL_MS = ms(RESERVATION_TTL_S)  # the defaults in ms, as the scripts take them
_RESERVATION_INDEX_TTL_MS = ms(RESERVATION_INDEX_TTL_S)
TYPE_CACHE_SIZE = 100_000  # codes whose typeId a worker remembers (LRU; ~10 MB at most)
MAX_CODE_DRAWS = 5  # collision rounds before giving up (a collision is already ~never)
MAX_CUSTOMER_CODES = 200  # codes of one customer read at most (rewards list; newest are not
# distinguishable in a SET, so a customer with more codes sees an arbitrary 200 of them)


def code_keys(tenant: str, code: str, type_id: str) -> list[str]:
    """The keys of one code as every coupon script takes them (``code_keys`` in _common.lua):
    the code, its per-customer uses, holds, bytxn entries, holders, its type and the type's
    per-customer uses (``type_id`` "": a never-written key for both)."""
    return [*keys.coupon_code_keys(tenant, code), *_type_keys(tenant, type_id)]


@functools.lru_cache(maxsize=1024)  # a tenant has few types; every coupon call names one
def _type_keys(tenant: str, type_id: str) -> tuple[str, str]:
    """The type's hash and per-customer uses (a never-written key for both without a type)."""
    if not type_id:
        none = keys.none_key(tenant)
        return none, none
    return keys.coupon_type(tenant, type_id), keys.coupon_type_uses(tenant, type_id)


def for_central(tenant: str, call_id: str, call: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """The keys and args a coupon transition script takes to queue itself for central in the same
    atomic step (``queue_for_central`` in _common.lua): a local instance's calls answered while
    central was away, made at central later by the forwarder (``actors.sync.forwarder``), once
    per ``call_id``."""
    k = [sync_keys.coupon_outbox(tenant), sync_keys.coupon_outbox_items(tenant),
         sync_keys.coupon_outbox_settled(tenant)]
    return k, [call_id, json.dumps(call)]


@functools.lru_cache(maxsize=1024)
def _expiry_key(tenant: str) -> str:
    return keys.coupon_expiry(tenant)


@functools.lru_cache(maxsize=1024)
def log_keys(tenant: str) -> tuple[str, str]:
    """The code change log's keys (log zset, sequence counter), which every script that changes a
    code takes LAST (``log_codes`` in _common.lua): the change and its log entry are one atomic
    step. Tenant's slot, as the codes."""
    return sync_keys.code_changes(tenant), sync_keys.code_seq(tenant)


def entry_json(stored: str) -> str:
    """A transaction's reservation entry of a code (``bytxn``) as the JSON object
    {rid, expiresAt, state, customerId} that every release reads: what central's feed sends a
    store's local instance (``heldEntry``), which may run an older release than central's (those
    read only JSON). Stored packed (``state|expiresAt|rid|customerId``, ``decode_entry`` in
    _common.lua) since 2026-12-04; an entry stored as JSON is returned as it is."""
    if stored.startswith("{"):
        return stored
    state, expires, rid, customer = stored.split("|", 3)
    return json.dumps({"rid": rid, "expiresAt": int(expires), "state": state, "customerId": customer})


def live_entry_json(fields: dict[str, str]) -> str | None:
    """The entry of a RESERVED INDIVIDUAL code's live reservation as :func:`entry_json` gives it,
    from the code's own fields (``code_entry`` in _common.lua); None for a reservation made
    before the code recorded its customer (``reservedFor``), whose entry is in ``bytxn``."""
    if fields.get("status") != "RESERVED" or "reservedFor" not in fields:
        return None
    return entry_json(f"RESERVED|{fields['reservedUntil']}|{fields.get('reservationId', '')}|{fields['reservedFor']}")


async def type_of(core: CallsStore, tenant: str, code: str) -> str:
    """The code's coupon type id ("" for an unknown code). Immutable once the code exists."""
    key = keys.coupon(tenant, code)
    return await core.call(lambda p: p.hget(key, "typeId"), lambda r: r or "")


class CodeTypes:
    """The coupon type of the codes this worker has met or created, so that a coupon call costs one round
    trip, not two. A code's ``typeId`` never changes once the code exists (codes are created only
    where none exists, and never deleted), so it is read once and then remembered, LRU-bounded; a
    code not in the store is not remembered. Should the premise ever break (a flushed store), the
    script sees that the code no longer names the type passed and answers "unknown": the caller
    then calls :meth:`forget`, and the next call reads the code's type again."""

    def __init__(self, core: CallsStore, size: int = TYPE_CACHE_SIZE) -> None:
        self._core = core
        self._size = size
        self._known: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def of(self, tenant: str, code: str) -> str:
        """The code's typeId ("" for a code the store does not have)."""
        found = self.known(tenant, code)
        if found is not None:
            return found
        type_id = await type_of(self._core, tenant, code)
        if type_id:
            self.remember(tenant, code, type_id)
        return type_id

    def known(self, tenant: str, code: str) -> str | None:
        """The code's typeId if this worker knows it, else None (:meth:`of` reads it). A hot call
        asks this first: awaiting :meth:`of` costs a coroutine even when nothing is read."""
        found = self._known.get((tenant, code))
        if found is not None:
            self._known.move_to_end((tenant, code))
        return found

    def remember(self, tenant: str, code: str, type_id: str) -> None:
        """``code`` exists and is of ``type_id`` (read from it, or this worker just created it)."""
        self._known[(tenant, code)] = type_id
        self._known.move_to_end((tenant, code))
        if len(self._known) > self._size:
            self._known.popitem(last=False)

    def forget(self, tenant: str, code: str) -> None:
        self._known.pop((tenant, code), None)

    @contextmanager
    def forgetting_unknown(self, tenant: str, code: str) -> Iterator[None]:
        """Forget ``code`` when the call inside answers 404 (unknown code or reservation)."""
        try:
            yield
        except DREError as exc:
            if exc.status == 404:
                self.forget(tenant, code)
            raise


class CouponCodes(StorePart):
    """``store.coupons``: coupon codes, their reservations, and the codes of a customer."""

    def __init__(self, core: CallsStore, types: CouponTypes, code_types: CodeTypes) -> None:
        super().__init__(core)
        self._types = types  # a code is created from its type's fields
        self._code_types = code_types

    # -- codes ------------------------------------------------------------------------------

    async def log_changed(self, tenant: str, changed: Sequence[str]) -> None:
        """Log that ``changed`` codes were written outside the coupon scripts (claimed by a
        confirm), for local instances' delta feed (they keep INDIVIDUAL codes to honour offline,
        docs/local-store.md). The coupon scripts log their own changes. Raises DREError 503."""
        if changed:
            k = log_keys(tenant)
            await self._core.call_script(self._core.scripts.code_changes_log, k, list(changed), int)

    async def get(self, tenant: str, code: str) -> dict[str, str] | None:
        """The raw stored fields of a code (admin / tests), or None. No expiry is applied."""
        key = keys.coupon(tenant, code)
        return await self._core.call(lambda p: p.hgetall(key), lambda r: r or None)

    async def issue(
        self, tenant: str, type_id: str, customer_ids: Sequence[str], now: int | None = None
    ) -> list[IssuedCode]:
        """New personalised codes (CREATED), one per customer, of an INDIVIDUAL type.

        Raises DREError 404 for an unknown type, 409 COUPON_UNAVAILABLE for a GENERIC one.
        """
        created = await self._create_codes(tenant, type_id, list(customer_ids), "coupon_issue", now)
        return [IssuedCode(c, cust) for c, cust in created]

    async def generate(
        self, tenant: str, type_id: str, count: int, now: int | None = None
    ) -> list[str]:
        """``count`` new ACTIVE codes of an INDIVIDUAL type (``prefix`` + random, ``codeLength``)."""
        created = await self._create_codes(tenant, type_id, [""] * count, "coupon_generate", now)
        return [c for c, _ in created]

    async def grant(
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

        Without ``marker``: returns [(code, owner)]. With ``marker`` (key, field; :meth:`grant`):
        returns ([(code, owner)], replayed).
        """
        t = await self._types.get(tenant, type_id)
        if t is None:
            raise not_found(f"coupon type {type_id}")
        if t.get("kind") != "INDIVIDUAL":
            raise conflict("COUPON_UNAVAILABLE", f"coupon type {type_id} is GENERIC: it has one shared code")
        prefix, length = t.get("prefix", ""), int(t.get("codeLength") or 10)
        chosen = [codes.new_code(prefix, length) for _ in owners]
        s = getattr(self._core.scripts, script)
        for _ in range(MAX_CODE_DRAWS):
            if len(set(chosen)) != len(chosen):  # a draw repeated within the batch
                chosen = [codes.new_code(prefix, length) for _ in owners]
                continue
            k = [keys.coupon(tenant, c) for c in chosen]
            if script == "coupon_issue":  # personal codes go into their customer's index too
                k += [keys.customer_coupons(tenant, owner) for owner in owners]
            args: list[Any] = [type_id, t.get("validFrom", ""), t.get("validTo", ""),
                               t.get("promotionIds", "[]"), now if now is not None else now_ms()]
            k += log_keys(tenant)
            if marker is not None:
                k = [marker[0], *k]
                args = [marker[1], *args]
            for c, owner in zip(chosen, owners):
                args += [c, owner]
            # journaled by the type, not by the drawn codes: a retry draws other codes, and must
            # meet the first attempt's replies (and so its codes), in the same order
            reply = await self._core.call_script(s, k, args, journal_as=f"{script}\n{type_id}")
            if int(reply[0]) in (1, 2):
                made = list(reply[1:])  # the codes created (the first run's, on a replay)
                for c in made:  # their first reserve or validate here then costs one round trip
                    self._code_types.remember(tenant, c, type_id)
                if marker is None:
                    return list(zip(made, owners))
                return list(zip(made, owners)), int(reply[0]) == 2
            taken = set(reply[1:])  # codes that exist already: draw those again
            chosen = [codes.new_code(prefix, length) if c in taken else c for c in chosen]
        raise RuntimeError(f"could not draw free codes for {type_id} in {MAX_CODE_DRAWS} rounds")

    # -- transitions ------------------------------------------------------------------------

    async def validate(
        self,
        tenant: str,
        code: str,
        *,
        customer_id: str | None = None,
        transaction_id: str | None = None,
        now: int | None = None,
    ) -> CodeValidation:
        """Is ``code`` usable now (for this customer / transaction)? Never raises for a bad code:
        an unknown one is ``valid=False, reason="INVALID"``."""
        type_id = await self._code_types.of(tenant, code)
        k = [*code_keys(tenant, code, type_id), keys.coupon_expiry(tenant)]
        args = [code, now if now is not None else now_ms(), customer_id or "", transaction_id or "", type_id]
        s = self._core.scripts.coupon_validate

        def parse(r: list) -> CodeValidation:
            status, reason, type_id, promos, valid_to, valid, held, stackable = r
            return CodeValidation(
                code=code, valid=bool(int(valid)), status=status or None, reason=reason or None,
                coupon_type_id=type_id or None, promotion_ids=tuple(json.loads(promos or "[]")),
                valid_to_ms=int(valid_to) if valid_to else None, held_reservation_id=held or None,
                stackable=bool(int(stackable)),
            )

        found = await self._core.call_script(s, k, args, parse)
        if found.reason == "INVALID":
            self._code_types.forget(tenant, code)
        return found

    async def reserve(
        self,
        tenant: str,
        code: str,
        transaction_id: str,
        *,
        customer_id: str | None = None,
        caller: str = "",
        ttl_s: float = RESERVATION_TTL_S,
        now: int | None = None,
        queue: bool = False,
    ) -> Reservation:
        """ACTIVE -> RESERVED for ``transaction_id`` (GENERIC: one more hold). Idempotent per
        (code, transaction): a replay returns the same reservation with ``replayed=True``.

        ``caller`` tags who asks (the route passes a digest of the API key; "" is not capped): on
        a GENERIC code with a maxRedemptions one caller holds at most half of the uses left (at
        least one) at once, so that no caller can block a shared code for everyone.

        ``queue`` (a local instance answering while central is away): the new reservation is
        queued for central in the same step (:func:`for_central`; a replay queues nothing).

        Raises DREError 404 NOT_FOUND (unknown code), 409 COUPON_UNAVAILABLE (reason in
        details[0].issue; TOO_MANY_HOLDS for the caller's share), 503.
        """
        rid = codes.new_token("R")
        # (the hot path, ~20 µs of client CPU a reserve: no await, lookup or conversion it can spare)
        type_id = self._code_types.known(tenant, code)
        if type_id is None:
            type_id = await self._code_types.of(tenant, code)
        k = [*code_keys(tenant, code, type_id), _expiry_key(tenant), keys.reservation(tenant, rid)]
        now = now if now is not None else now_ms()
        ttl_ms = _RESERVATION_TTL_MS if ttl_s == RESERVATION_TTL_S else ms(ttl_s)
        args = [code, transaction_id, customer_id or "", now, ttl_ms, rid, _RESERVATION_INDEX_TTL_MS, type_id, caller]
        if queue:
            qk, qa = for_central(tenant, f"reserve/{rid}", {
                "op": "reserve", "reservationId": rid, "code": code, "transactionId": transaction_id,
                "customerId": customer_id, "expiresAt": now + ttl_ms})
            k, args = k + qk, args + qa
        k += log_keys(tenant)  # last: log_codes in _common.lua reads them from the end
        s = self._core.scripts.coupon_reserve

        def parse(r: list) -> Reservation:
            return Reservation(r[0], code, transaction_id, r[1], r[2] == 1)  # integer replies

        # journaled by code and transaction: each attempt draws another reservation id
        return await self._core.call_script(s, k, args, parse, journal_as=f"coupon_reserve\n{code}\n{transaction_id}")

    async def _reservation(self, tenant: str, reservation_id: str) -> dict[str, str]:
        # The reservation index is written once by reserve and never changes, so reading it
        # before the script is race-free; the script re-checks the reservation itself.
        key = keys.reservation(tenant, reservation_id)
        found = await self._core.call(lambda p: p.hgetall(key))
        if not found:
            raise not_found(f"reservation {reservation_id}")
        return found

    def _on_reservation(self, tenant: str, code: str, txn: str, reservation_id: str, type_id: str,
                        now: int | None, queued_as: str) -> tuple[list[str], list[Any]]:
        """Keys and args of coupon_redeem.lua / coupon_cancel.lua; with ``queued_as`` (the op)
        those that queue the call for central too."""
        k = [*code_keys(tenant, code, type_id), keys.coupon_expiry(tenant)]
        args: list[Any] = [code, txn, reservation_id, now if now is not None else now_ms(), type_id]
        if queued_as:
            qk, qa = for_central(tenant, f"{queued_as}/{reservation_id}", {
                "op": queued_as, "reservationId": reservation_id, "code": code, "transactionId": txn})
            k, args = k + qk, args + qa
        return [*k, *log_keys(tenant)], args

    async def redeem(
        self, tenant: str, reservation_id: str, now: int | None = None, queue: bool = False
    ) -> Redemption:
        """RESERVED -> REDEEMED. Not idempotent: a second redeem raises DREError 409
        ALREADY_REDEEMED. Also 404 NOT_FOUND, 409 COUPON_UNAVAILABLE (EXPIRED, CANCELLED = voided,
        NOT_ACTIVE = its type is INACTIVE, LIMIT_REACHED = a per-customer limit), 503. ``queue``:
        queued for central in the same step (as :meth:`reserve`)."""
        r = await self._reservation(tenant, reservation_id)
        code, txn = r["code"], r["transactionId"]
        type_id = await self._code_types.of(tenant, code)
        k, args = self._on_reservation(tenant, code, txn, reservation_id, type_id, now, "redeem" if queue else "")
        s = self._core.scripts.coupon_redeem
        with self._code_types.forgetting_unknown(tenant, code):
            return await self._core.call_script(s, k, args, lambda x: Redemption(*x))

    async def cancel(self, tenant: str, reservation_id: str, now: int | None = None, queue: bool = False) -> str:
        """RESERVED -> ACTIVE. Idempotent. Returns CANCELLED, or EXPIRED if it had lapsed.
        Raises DREError 404 NOT_FOUND, 409 COUPON_UNAVAILABLE (already redeemed), 503. ``queue``:
        queued for central in the same step when it released the hold (as :meth:`reserve`)."""
        r = await self._reservation(tenant, reservation_id)
        code, txn = r["code"], r["transactionId"]
        type_id = await self._code_types.of(tenant, code)
        k, args = self._on_reservation(tenant, code, txn, reservation_id, type_id, now, "cancel" if queue else "")
        s = self._core.scripts.coupon_cancel
        with self._code_types.forgetting_unknown(tenant, code):
            reply = await self._core.call_script(s, k, args)
        return reply[1]

    async def activate(
        self, tenant: str, code: str, customer_id: str, now: int | None = None
    ) -> str:
        """CREATED -> ACTIVE for ``customer_id``; idempotent. Returns the status (ACTIVE).
        Raises DREError 404 NOT_FOUND, 409 COUPON_UNAVAILABLE (NOT_FOR_CUSTOMER, NOT_ACTIVE = its
        type is INACTIVE, GENERIC = a shared code is not activated, or the code's state)."""
        type_id = await self._code_types.of(tenant, code)
        k = [*code_keys(tenant, code, type_id), keys.customer_coupons(tenant, customer_id), *log_keys(tenant)]
        args = [code, customer_id, now if now is not None else now_ms(), type_id]
        s = self._core.scripts.coupon_activate
        with self._code_types.forgetting_unknown(tenant, code):
            return await self._core.call_script(s, k, args, lambda x: x[1])

    async def void(self, tenant: str, code: str, now: int | None = None, queue: bool = False) -> int:
        """Void ``code`` for good: CREATED / ACTIVE / RESERVED -> CANCELLED (its reservations are
        dropped; no later use, and no write of its type, brings it back). Idempotent. Returns
        when it was cancelled (ms). Raises DREError 404 NOT_FOUND, 409 COUPON_UNAVAILABLE
        (ALREADY_REDEEMED, EXPIRED: terminal already), 503. ``queue``: queued for central in the
        same step (as :meth:`reserve`; voiding again queues nothing)."""
        type_id = await self._code_types.of(tenant, code)
        k = [*code_keys(tenant, code, type_id), keys.coupon_expiry(tenant)]
        args: list[Any] = [code, now if now is not None else now_ms(), type_id]
        if queue:
            qk, qa = for_central(tenant, f"void/{code}", {"op": "void", "code": code})
            k, args = k + qk, args + qa
        k += log_keys(tenant)  # last: log_codes in _common.lua reads them from the end
        with self._code_types.forgetting_unknown(tenant, code):
            return await self._core.call_script(self._core.scripts.coupon_void, k, args, lambda x: int(x[2]))

    async def sweep_reservations(self, tenant: str, now: int | None = None, limit: int = 500) -> int:
        """Release up to ``limit`` codes' expired reservations (a job actor calls it
        periodically; every coupon script also does it lazily). Returns codes looked at."""
        now = now if now is not None else now_ms()
        expiry = keys.coupon_expiry(tenant)
        due = await self._core.call(lambda p: p.zrangebyscore(expiry, "-inf", now, start=0, num=limit))
        s = self._core.scripts.coupon_release
        for code in due:
            type_id = await self._code_types.of(tenant, code)
            await self._core.call_script(s, [*code_keys(tenant, code, type_id), expiry], [code, now, type_id])
        return len(due)

    async def of_customer(self, tenant: str, customer_id: str, limit: int = MAX_CUSTOMER_CODES) -> list[str]:
        """Codes issued to or activated by ``customer_id`` (any state; sorted), at most ``limit``."""
        key = keys.customer_coupons(tenant, customer_id)
        found = await self._core.call(lambda p: p.srandmember(key, limit) if limit else p.smembers(key))
        return sorted(found or ())
