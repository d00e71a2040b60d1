"""Budgets, loyalty points and Idempotency-Keys: counters that must move once per event."""
from __future__ import annotations

from actors.store_ops.base import DAY_S, CallsStore, ms
from dre.errors import invalid
from dre.store import codes, keys
from dre.store.records import BudgetState, IdempotencyClaim, PointsBooking, now_ms

IDEMPOTENCY_TTL_S = DAY_S  # a stored answer is replayed for 24 h (contract)
IDEMPOTENCY_IN_FLIGHT_S = 60.0  # a claim whose request died is freed after this
EVENT_MARKER_TTL_S = 400 * DAY_S  # a booked loyalty event stays known for over a year
MAX_POINTS = 2**53 - 1  # Lua's numbers are doubles: integers are exact up to here


class LedgerOps:
    # -- budgets ----------------------------------------------------------------------------

    async def budget_get(self: CallsStore, tenant: str, promotion_id: str) -> BudgetState:
        """What a promotion's budget has consumed so far (0 / 0 if never touched)."""
        key = keys.budget(tenant, promotion_id)

        def parse(r: list) -> BudgetState:
            return BudgetState(promotion_id, int(r[0] or 0), int(r[1] or 0))

        return await self.call(lambda p: p.hmget(key, ["amount_consumed", "redemptions_consumed"]), parse)

    async def exhausted_promotions(self: CallsStore, tenant: str) -> frozenset[str]:
        """Ids of the tenant's promotions whose budget is used up (evaluate skips them)."""
        key = keys.exhausted_budgets(tenant)
        return await self.call(lambda p: p.smembers(key), frozenset)

    # -- loyalty ----------------------------------------------------------------------------

    async def points_book(
        self: CallsStore, tenant: str, member_id: str, event_key: str, points: int,
        now: int | None = None,
    ) -> PointsBooking:
        """Add ``points`` to a member once per ``event_key`` (member created on first sight).
        A replay returns the first booking with ``replayed=True`` and adds nothing.

        Raises DREError 400 for points beyond what the script's numbers (doubles) hold exactly.
        """
        if abs(int(points)) > MAX_POINTS:
            raise invalid(f"{points} loyalty points are more than can be booked (at most {MAX_POINTS})")
        k = [keys.member(tenant, member_id), keys.member_event(tenant, member_id, event_key)]
        args = [int(points), now if now is not None else now_ms(), ms(EVENT_MARKER_TTL_S)]
        s = self.scripts.points_book

        def parse(r: list) -> PointsBooking:
            return PointsBooking(int(r[0]), int(r[1]), bool(int(r[2])))

        return await self.call_script(s, k, args, parse)

    async def member_points(self: CallsStore, tenant: str, member_id: str) -> int | None:
        """A member's points, or None for a member never seen."""
        key = keys.member(tenant, member_id)
        return await self.call(lambda p: p.hget(key, "points"), lambda r: None if r is None else int(r))

    # -- idempotency keys -------------------------------------------------------------------

    async def idempotency_claim(
        self: CallsStore, tenant: str, scope: str, key: str, fingerprint: str,
        in_flight_s: float = IDEMPOTENCY_IN_FLIGHT_S,
    ) -> IdempotencyClaim:
        """Claim ``key`` for one request of route ``scope``; see IdempotencyClaim for the states.
        ``fingerprint`` identifies the request body (a reused key with another body: MISMATCH)."""
        owner = codes.new_token("I")
        k = [keys.idempotency(tenant, scope, key)]
        s = self.scripts.idempotency_claim

        def parse(r: list) -> IdempotencyClaim:
            if r[0] == "DONE":
                return IdempotencyClaim("DONE", owner, int(r[1]), r[2])
            return IdempotencyClaim(r[0], owner)

        return await self.call_script(s, k, [owner, fingerprint, ms(in_flight_s)], parse)

    async def idempotency_put(
        self: CallsStore, tenant: str, scope: str, key: str, owner: str, status: int, body: str,
        ttl_s: float = IDEMPOTENCY_TTL_S,
    ) -> bool:
        """Store the first answer under a claimed key. False if the claim was not ``owner``'s."""
        k = [keys.idempotency(tenant, scope, key)]
        s = self.scripts.idempotency_put
        return await self.call_script(s, k, [owner, status, body, ms(ttl_s)], lambda r: bool(int(r)))

    async def idempotency_release(self: CallsStore, tenant: str, scope: str, key: str, owner: str) -> bool:
        """Drop a claim without an answer (the request failed retryably). False if not ours."""
        k = [keys.idempotency(tenant, scope, key)]
        s = self.scripts.idempotency_release
        return await self.call_script(s, k, [owner], lambda r: bool(int(r)))
