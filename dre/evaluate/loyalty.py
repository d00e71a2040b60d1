"""Loyalty points of the applied promotions, on net amounts after all discounts."""
from __future__ import annotations

from dre.evaluate.actions import PartLine, matches_any
from dre.promotion import model as m


def fixed_points(p: m.Promotion) -> int:
    """The per-transaction part of a promotion's points (ADD_FIXED - SUBTRACT_POINTS): given on the
    sale part only, never taken back by a return."""
    if not p.points:  # most promotions give no points: every evaluate's sale record asks (dre.returns)
        return 0
    return sum(a.points if a.kind == "ADD_FIXED" else -a.points
               for a in p.points if a.kind in ("ADD_FIXED", "SUBTRACT_POINTS"))


def points(applied: list[m.Promotion], lines: list[PartLine], net: list[int], fixed: bool = True) -> dict[str, int]:
    """Points each applied promotion gives on one part (whole numbers, rounded down).

    ``fixed``: ADD_FIXED and SUBTRACT_POINTS count (the sale part; they are per transaction, so a
    returned line does not take them back).

    MULTIPLY_POINTS adds, for every CURRENCY_TO_POINTS action applied, ``factor - 1`` times the
    points that action gives on the matching lines' net, rounded down per action.
    """
    earn = [a for p in applied for a in p.points if a.kind == "CURRENCY_TO_POINTS"]
    total_net = sum(net)
    out: dict[str, int] = {}
    for p in applied:
        got = 0
        for a in p.points:
            if a.kind == "CURRENCY_TO_POINTS":
                got += total_net * a.points // a.per
            elif a.kind == "ADD_FIXED" and fixed:
                got += a.points
            elif a.kind == "SUBTRACT_POINTS" and fixed:
                got -= a.points
            elif a.kind == "MULTIPLY_POINTS":
                matched = sum(n for ln, n in zip(lines, net) if a.values is None or matches_any(a.values, ln))
                got += sum(matched * e.points * (a.factor - 100) // (e.per * 100) for e in earn)
        if p.points:
            out[p.id] = got
    return out
