"""Plain records going in and out of the store's typed API (no redis types leak out)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

NO_LIMIT = -1  # a budget or coupon limit that is not set


def now_ms() -> int:
    """Wall-clock milliseconds since the epoch: the ``now`` every script takes in ARGV."""
    return time.time_ns() // 1_000_000


class BudgetUse(NamedTuple):
    """What a confirm consumes of one applied promotion's budget (limits: NO_LIMIT = none)."""

    promotion_id: str
    amount_cents: int
    redemption_limit: int = NO_LIMIT
    amount_limit_cents: int = NO_LIMIT
    per_customer_limit: int = NO_LIMIT


class CouponClaim(NamedTuple):
    """A coupon an iteration used: its code and the reservation it was reserved under ("" if none)."""

    code: str
    reservation_id: str = ""


@dataclass(frozen=True)
class ConfirmResult:
    answer: str  # the first answer of this confirm (JSON), as the caller gave it
    replayed: bool  # True: an earlier confirm of the same iteration; nothing was consumed now
    exhausted: tuple[str, ...]  # promotions whose budget this confirm used up
    job_id: str  # the side-effects job of the iteration
    remaining: dict[str, int]  # cents left of each money budget this confirm consumed


@dataclass(frozen=True)
class Confirmable:
    """What judging a confirm found: the kept iteration, or, for a counter confirmed already, the
    first answer (a replay). Exactly one of the two is set."""

    iteration: str | None  # the priced iteration (JSON) that can be confirmed now
    answer: str | None  # the first answer of the earlier confirm of this counter


@dataclass(frozen=True)
class CodeValidation:
    """What the store's coupon_validate.lua says of one code for a customer / transaction: its
    state and whether it is usable (the evaluator's view of it is dre.pricing.CouponCheck)."""

    code: str
    valid: bool
    status: str | None  # effective state; None for an unknown code
    reason: str | None  # None when valid; else INVALID, NOT_ACTIVE (also: its type is INACTIVE),
    # EXPIRED, ALREADY_REDEEMED, RESERVED_ELSEWHERE, LIMIT_REACHED, NOT_FOR_CUSTOMER or CANCELLED
    coupon_type_id: str | None
    promotion_ids: tuple[str, ...]
    valid_to_ms: int | None
    held_reservation_id: str | None  # the asking transaction's own reservation on the code
    stackable: bool = True  # False: its type says isStackable false (not combined with other codes)


class Reservation(NamedTuple):
    """A coupon reservation (immutable; a NamedTuple: built once per reserve, ~0.4 µs less than a
    frozen dataclass on the hot path)."""

    reservation_id: str
    code: str
    transaction_id: str
    expires_at_ms: int
    replayed: bool


@dataclass(frozen=True)
class Redemption:
    code: str
    transaction_id: str
    customer_id: str


@dataclass(frozen=True)
class IssuedCode:
    code: str
    customer_id: str


@dataclass(frozen=True)
class BudgetState:
    promotion_id: str
    amount_consumed_cents: int
    redemptions_consumed: int


@dataclass(frozen=True)
class PointsBooking:
    points_earned: int
    total_points: int
    replayed: bool


@dataclass(frozen=True)
class IdempotencyClaim:
    """Outcome of claiming an Idempotency-Key.

    state: CLAIMED (run the request, then ``store.idempotency.put`` with ``owner``), IN_PROGRESS (a
    duplicate is still running), MISMATCH (the key was used with another body), DONE (replay
    ``status`` and ``body``).
    """

    state: str
    owner: str
    status: int | None = None
    body: str | None = None


@dataclass(frozen=True)
class ClaimedJob:
    job_id: str
    attempts: int  # including this one
    payload: str  # JSON given to confirm
