"""Loyalty points: a member's balance, moved once per event; the tenant's maintenance toggle."""
from __future__ import annotations

from typing import Literal

from actors.store_ops.base import DAY_S, StorePart, ms
from dre.errors import DREError, Issue, invalid
from dre.store import keys
from dre.store.records import PointsBooking, now_ms

EVENT_MARKER_TTL_S = 400 * DAY_S  # a booked loyalty event stays known for over a year
MAX_POINTS = 2**53 - 1  # Lua's numbers are doubles: integers are exact up to here
MAX_MAINTENANCE_MESSAGE = 500  # characters of the maintenance message

Claim = Literal["NEW", "SAME", "OTHER"]


def event_conflict(event_key: str) -> DREError:
    """409: the event's key was claimed or booked with another body."""
    return DREError(409, "EVENT_CONFLICT", "this member, checkNumber and businessDate were already booked with "
                    "another bill; nothing was done", [Issue("bill.checkNumber", "already booked with another bill")])


class LoyaltyPoints(StorePart):
    """``store.loyalty``: loyalty members' points, and the tenant's maintenance toggle."""

    async def claim(self, tenant: str, member_id: str, event_key: str, fingerprint: str) -> Claim:
        """Claim ``event_key`` for the body ``fingerprint`` (hex) before any of its effects:
        "NEW" (first sight), "SAME" (this body claimed or booked it; also a booking made before
        fingerprints) or "OTHER" (another body did: do nothing). The claim lives as long as a
        booking."""
        k = [keys.member_event(tenant, member_id, event_key)]
        return await self._core.call_script(self._core.scripts.points_claim, k, [fingerprint, ms(EVENT_MARKER_TTL_S)],
                                            lambda r: r.decode() if isinstance(r, bytes) else str(r))

    async def book(
        self, tenant: str, member_id: str, event_key: str, points: int, now: int | None = None,
        fingerprint: str = "",
    ) -> PointsBooking:
        """Add ``points`` to a member once per ``event_key`` (member created on first sight).
        A replay returns the first booking with ``replayed=True`` and adds nothing.

        Raises DREError 400 for points beyond what the script's numbers (doubles) hold exactly,
        409 EVENT_CONFLICT when ``fingerprint`` is given and another body claimed the key.
        """
        if abs(int(points)) > MAX_POINTS:
            raise invalid(f"{points} loyalty points are more than can be booked (at most {MAX_POINTS})")
        k = [keys.member(tenant, member_id), keys.member_event(tenant, member_id, event_key)]
        args = [int(points), now if now is not None else now_ms(), ms(EVENT_MARKER_TTL_S), fingerprint]
        s = self._core.scripts.points_book

        def parse(r: list) -> PointsBooking:
            if len(r) > 3 and int(r[3]):
                raise event_conflict(event_key)
            return PointsBooking(int(r[0]), int(r[1]), bool(int(r[2])))

        return await self._core.call_script(s, k, args, parse)

    async def points(self, tenant: str, member_id: str) -> int | None:
        """A member's points, or None for a member never seen."""
        key = keys.member(tenant, member_id)
        return await self._core.call(lambda p: p.hget(key, "points"), lambda r: None if r is None else int(r))

    async def maintenance(self, tenant: str) -> str | None:
        """The tenant's maintenance message while it is in loyalty maintenance, else None."""
        key = keys.loyalty_maintenance(tenant)
        return await self._core.call(lambda p: p.get(key), lambda r: None if r is None else
                                     (r.decode() if isinstance(r, bytes) else str(r)))

    async def set_maintenance(self, tenant: str, message: str | None) -> None:
        """Start loyalty maintenance with ``message`` (one SET), or end it with None (one DEL)."""
        key = keys.loyalty_maintenance(tenant)
        if message is None:
            await self._core.call(lambda p: p.delete(key))
        else:
            await self._core.call(lambda p: p.set(key, message[:MAX_MAINTENANCE_MESSAGE]))
