"""A loyalty POS event (one closed check of a member), in integer units, checked for consistency.

Amount semantics: a bill line's ``amount`` is the **line total** (extended amount: what the line
costs with its quantity already applied, as a POS prints it on the check), not a unit price. That is the reading a POS integrator expects from a check's line items, and the
one that keeps combos and weighed goods simple (0.456 kg costing 1.37 in all is sent as
``quantity: 0.456, amount: 1.37``; no unit price has to be re-rounded). Discounts the POS already
granted must be reflected in the line amounts. ``bill.total`` is informational and is not checked
against the lines: a restaurant check's total carries tax, tips and service charges that are no
bill lines (the seed's own sample, two lines of 1.0 with a total of 1.0, is accepted as sent).

Checks (all answer IncorrectArguments (4), naming the field by its path in the seed's field names,
0-based indices): a non-empty loyalty number; a quantity other than 0; an amount of 0 or of the
same sign as its quantity (a return line has a negative quantity and a negative amount); the
engine's limits (500 lines, |quantity| ≤ 10,000, unit price ≤ 1,000,000.00,
Σ |amount| ≤ 10,000,000.00); at most 50 ``nativeDiscounts`` (as many coupons as an evaluate takes:
each is a reservation and a redemption in the store).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timezone

import orjson

from dre.basket import MAX_BASKET_GROSS
from dre.loyalty.result import incorrect

MAX_LINES = 500
MAX_NATIVE_DISCOUNTS = 50
MAX_MILLI = 10_000 * 1000
MAX_UNIT_PRICE = 100_000_000  # cents: 1,000,000.00


@dataclass(frozen=True)
class Staff:
    """``server`` / ``manager`` of the check: passed through, not used for points."""

    id: str | None = None
    full_name: str | None = None


@dataclass(frozen=True)
class BillLine:
    item_id: int
    milli: int  # quantity in thousandths; negative for a returned item
    amount: int  # cents: the line total (see the module docstring), same sign as milli
    item_name: str | None = None
    selected: bool | None = None
    matched_pos: bool | None = None
    is_combo: bool | None = None
    parent_item_id: str | None = None
    size_id: int | None = None
    item_guid: str | None = None


@dataclass(frozen=True)
class PosEvent:
    loyalty_number: str
    check_number: int
    business_date: date  # only the date part of the wire's businessDate: it keys replays
    transaction_time: datetime  # aware (naive on the wire is taken as UTC); promotions are judged at it
    total: int  # cents
    lines: tuple[BillLine, ...] = ()
    native_discounts: tuple[str, ...] = ()  # coupon codes already applied at the POS
    tenant_id: int | None = None  # echoed only: the credentials decide the tenant
    business_date_time: datetime | None = None
    order_mode_id: int | None = None
    server: Staff | None = None
    manager: Staff | None = None

    def __post_init__(self) -> None:
        # Normalise here so that every PosEvent, however built, carries aware times.
        for name in ("transaction_time", "business_date_time"):
            t = getattr(self, name)
            if t is not None and t.tzinfo is None:
                object.__setattr__(self, name, t.replace(tzinfo=timezone.utc))
        if isinstance(self.business_date, datetime):  # a datetime is a date: keep its own date part
            object.__setattr__(self, "business_date", self.business_date.date())
        check_event(self)


def check_event(e: PosEvent) -> None:
    """Raise PosEventError(4) at the first value that breaks a rule of the module docstring."""
    if not e.loyalty_number.strip():
        raise incorrect("loyalty.loyaltyNumber: must not be empty")
    if len(e.lines) > MAX_LINES:
        raise incorrect(f"bill.billLineItems: at most {MAX_LINES} lines")
    if len(e.native_discounts) > MAX_NATIVE_DISCOUNTS:
        raise incorrect(f"nativeDiscounts: at most {MAX_NATIVE_DISCOUNTS} codes ({len(e.native_discounts)} given)")
    for i, ln in enumerate(e.lines):
        path = f"bill.billLineItems[{i}]"
        if ln.milli == 0:
            raise incorrect(f"{path}.quantity: must not be 0")
        if abs(ln.milli) > MAX_MILLI:
            raise incorrect(f"{path}.quantity: must be at most 10000 in absolute value")
        if ln.amount and (ln.amount < 0) != (ln.milli < 0):
            raise incorrect(f"{path}.amount: must have the sign of its quantity (negative only for a return)")
        if abs(ln.amount) * 1000 > MAX_UNIT_PRICE * abs(ln.milli):
            raise incorrect(f"{path}.amount: unit price above 1000000.00")
    gross = sum(abs(ln.amount) for ln in e.lines)
    if gross > MAX_BASKET_GROSS:
        raise incorrect("bill.billLineItems: sum of line amounts exceeds 10000000.00")


def replay_key(event: PosEvent) -> str:
    """The identity of an event for replays: member, checkNumber and the businessDate's date.

    A JSON array string, so that no loyalty number (which may hold any character) can make two
    different events collide. The tenant is not part of it: the store keys everything per tenant.
    """
    return orjson.dumps([event.loyalty_number, event.check_number, event.business_date.isoformat()]).decode()


def fingerprint(event: PosEvent) -> str:
    """What makes two events with one replay key "the same": every field of the event (hex SHA-256).

    Taken from the parsed event, so the same bill sent as JSON, XML or a form has one fingerprint;
    a replay key booked with another fingerprint is refused (dre.loyalty.result: 4)."""
    return hashlib.sha256(orjson.dumps(event)).hexdigest()
