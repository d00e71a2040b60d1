"""Loyalty points: a member's balance, moved once per event."""
from __future__ import annotations

from actors.store_ops.base import DAY_S, StorePart, ms
from dre.errors import invalid
from dre.store import keys
from dre.store.records import PointsBooking, now_ms

EVENT_MARKER_TTL_S = 400 * DAY_S  # a booked loyalty event stays known for over a year
MAX_POINTS = 2**53 - 1  # Lua's numbers are doubles: integers are exact up to here


class LoyaltyPoints(StorePart):
    """``store.loyalty``: loyalty members' points."""

    async def book(
        self, tenant: str, member_id: str, event_key: str, points: int, now: int | None = None,
    ) -> PointsBooking:
        """Add ``points`` to a member once per ``event_key`` (member created on first sight).
        A replay returns the first booking with ``replayed=True`` and adds nothing.

        Raises DREError 400 for points beyond what the script's numbers (doubles) hold exactly.
        """
        if abs(int(points)) > MAX_POINTS:
            raise invalid(f"{points} loyalty points are more than can be booked (at most {MAX_POINTS})")
        k = [keys.member(tenant, member_id), keys.member_event(tenant, member_id, event_key)]
        args = [int(points), now if now is not None else now_ms(), ms(EVENT_MARKER_TTL_S)]
        s = self._core.scripts.points_book

        def parse(r: list) -> PointsBooking:
            return PointsBooking(int(r[0]), int(r[1]), bool(int(r[2])))

        return await self._core.call_script(s, k, args, parse)

    async def points(self, tenant: str, member_id: str) -> int | None:
        """A member's points, or None for a member never seen."""
        key = keys.member(tenant, member_id)
        return await self._core.call(lambda p: p.hget(key, "points"), lambda r: None if r is None else int(r))
