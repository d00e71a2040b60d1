"""The discounts and points a basket's linked return lines give back (pure: no store access).

The store keeps, per confirmed sale, its record (``dre.returns.record``) and counters of what its
returns have used, each with a limit (field names are JSON arrays, so that no id can collide):
``["q", line]`` units returned (limit: units sold), ``["d", line, promotion]`` discount given back
on a line (limit: that line's discount), ``["t", promotion]`` given back in all (limit: the
promotion's sale discount), ``["c", promotion]`` the receipt-level discount clawed back (limit 1),
``["n"]`` net refunded and ``["pts"]`` points taken back.
Pricing reads them; confirm adds this basket's increments atomically and refuses (409
RETURN_EXCEEDS_SALE) if a return confirmed in between would make any counter pass its limit.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import orjson

from dre.basket import Basket
from dre.money import allocate, round_ratio
from dre.pricing.result import Applied, LineDiscount, Result


@dataclass(frozen=True)
class SaleState:
    """A confirmed sale as its returns see it: the record and the counters used so far."""

    record: dict
    used: Mapping[str, int] = field(default_factory=dict)


Increment = tuple[str, int, int]  # (counter field, delta > 0, limit)


class PromotionLabel(NamedTuple):
    """Name and type of a promotion as at the sale (for one deleted since: the answer names it)."""

    name: str
    type: str


@dataclass(frozen=True)
class LinkedReturns:
    discounts: dict[int, tuple[LineDiscount, ...]]  # basket line index -> its (negative) discounts
    points: dict[str, int]  # promotion id -> points taken back (> 0), as the sale earned them
    increments: dict[str, list[Increment]]  # original transactionId -> what confirm adds
    names: dict[str, PromotionLabel]  # promotion id -> name and type as at the sale


def counter(*parts: str) -> str:
    """The name of one of a sale's return counters."""
    return orjson.dumps(parts).decode()


def _remaining_fails(th: dict, rows: list, left: list[int]) -> bool:
    """The remaining sale (``left`` units per line) no longer meets a receipt-level threshold."""
    gross = [round_ratio(r[2] * q, r[1]) for r, q in zip(rows, left)]
    qual = th["qual"]
    if th["qty"] and sum(left[i] for i in qual) < th["qty"]:
        return True
    return any(sum(gross if whole else [gross[i] for i in qual]) < cents for cents, whole in th["spend"])


def _one_sale(basket: Basket, idx: list[int], st: SaleState, out: dict[int, dict[str, int]],
              inc: list[Increment]) -> int:
    """Give back what the sale's lines got for the return lines ``idx``; returns points taken."""
    rec, used = st.record, dict(st.used)
    rows = rec["lines"]
    pos = {r[0]: k for k, r in enumerate(rows)}
    totals = rec["totals"]

    def add(fieldname: str, delta: int, limit: int) -> None:
        if delta > 0:
            used[fieldname] = used.get(fieldname, 0) + delta
            inc.append((fieldname, delta, limit))

    idx = [i for i in idx if basket.lines[i].original[1] in pos]  # a line the sale lacks gives back nothing
    for i in idx:
        ref, sold, _, got = rows[pos[basket.lines[i].original[1]]]
        before = used.get(counter("q", ref), 0)
        units = min(-basket.lines[i].milli, sold - before)
        if units <= 0:
            continue  # every sold unit was returned already
        add(counter("q", ref), units, sold)
        for pid, amount in got.items():
            if used.get(counter("c", pid)):
                continue  # clawed back whole already
            key = counter("d", ref, pid)
            back = min(round_ratio(amount * (before + units), sold), amount) - used.get(key, 0)
            back = min(back, -basket.lines[i].gross - sum(out[i].values()))  # a refund never turns into a charge
            if back > 0:
                add(key, back, amount)
                add(counter("t", pid), back, totals[pid])
                out[i][pid] = out[i].get(pid, 0) + back
    left = [r[1] - used.get(counter("q", r[0]), 0) for r in rows]
    for pid, th in rec["receipt"].items():
        if used.get(counter("c", pid)) or not _remaining_fails(th, rows, left):
            continue
        claw = totals[pid] - used.get(counter("t", pid), 0)
        room = [max(0, -basket.lines[i].gross - sum(out[i].values())) for i in idx]
        shares = allocate(claw, [-basket.lines[i].gross for i in idx])
        taken = 0
        for i, share, r in zip(idx, shares, room):
            share = min(share, r)  # a refund never turns into a charge; what is cut is not clawed later
            if share > 0:
                out[i][pid] = out[i].get(pid, 0) + share
                taken += share
        add(counter("t", pid), taken, totals[pid])
        add(counter("c", pid), 1, 1)
    refund = sum(-basket.lines[i].gross - sum(out[i].values()) for i in idx)
    points, net = rec["points"], rec["net"]
    if points <= 0 or net <= 0:
        return 0
    net_before = used.get(counter("n"), 0)
    refund = min(max(0, refund), net - net_before)
    add(counter("n"), refund, net)
    taken = round_ratio(points * (net_before + refund), net, 1) - used.get(counter("pts"), 0)
    add(counter("pts"), taken, points)
    return max(0, taken)


def price_linked(basket: Basket, sales: Mapping[str, SaleState | None]) -> LinkedReturns:
    """What the basket's linked return lines give back, from each named sale's state (None: the
    sale is not known, e.g. confirmed before the return window: nothing is given back)."""
    by_sale: dict[str, list[int]] = {}
    for i, ln in enumerate(basket.lines):
        if ln.original is not None:
            by_sale.setdefault(ln.original[0], []).append(i)
    out: dict[int, dict[str, int]] = {i: {} for idx in by_sale.values() for i in idx}
    increments: dict[str, list[Increment]] = {}
    names: dict[str, PromotionLabel] = {}
    points: dict[str, int] = {}
    for txn, idx in by_sale.items():
        st = sales.get(txn)
        if st is None:
            continue
        inc: list[Increment] = []
        taken = _one_sale(basket, idx, st, out, inc)
        by = st.record.get("pointsBy") or {}
        # the points taken back, split over the promotions that earned them at the sale
        for pid, share in zip(by, allocate(taken, list(by.values()))):
            if share:
                points[pid] = points.get(pid, 0) + share
        if inc:
            increments[txn] = inc
        names.update({pid: PromotionLabel(n[0], n[1]) for pid, n in st.record.get("names", {}).items()})
    discounts = {i: tuple(LineDiscount(pid, -a) for pid, a in got.items() if a) for i, got in out.items()}
    return LinkedReturns(discounts, points, increments, names)


def merge_linked(n_lines: int, linked: Sequence[int], priced: Result, back: LinkedReturns) -> Result:
    """The basket's Result from ``priced`` (the basket without its ``linked`` lines, in order) and
    what the linked lines give back."""
    others = iter(priced.lines)
    skip = set(linked)
    lines = tuple(back.discounts.get(i, ()) if i in skip else next(others) for i in range(n_lines))
    # points taken back count against the promotion that earned them (Result.points is their sum);
    # one not in this basket's answer appears with its points only (on_sale False: no budget, no code)
    applied = tuple(a._replace(points=a.points - back.points.get(a.promotion_id, 0)) for a in priced.applied)
    seen = {a.promotion_id for a in applied}
    applied += tuple(Applied(pid, 0, -pts, None, on_sale=False) for pid, pts in back.points.items() if pid not in seen)
    return Result(lines=lines, granted=priced.granted, coupons=priced.coupons,
                  recommendations=priced.recommendations, applied=applied, exact=priced.exact)
