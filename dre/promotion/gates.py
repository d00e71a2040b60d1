"""Coupon types gate promotions: a type's ``promotionIds`` fire only with one of its codes.

Shared by the offline tool (a promotion file's ``couponTypes``) and the service (coupon types in
the store), so both build the same promotion set from the same rules.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from dre.promotion.model import Promotion


def coupon_gates(coupon_types: Iterable[Mapping]) -> dict[str, frozenset[str]]:
    """Promotion id -> the ids of the coupon types that name it in ``promotionIds``.

    ``coupon_types`` are coupon type JSON objects (``{"id", "promotionIds", ...}``).
    """
    gates: dict[str, set[str]] = {}
    for ct in coupon_types:
        for pid in ct.get("promotionIds") or ():
            gates.setdefault(pid, set()).add(ct["id"])
    return {pid: frozenset(ids) for pid, ids in gates.items()}


def apply_coupon_gates(promotions: Iterable[Promotion], coupon_types: Iterable[Mapping]) -> list[Promotion]:
    """The promotions, each named by a coupon type gated on that type (as if it had a COUPON
    condition on it, added to any COUPON condition of its own). Promotions are immutable: gated
    ones are copies."""
    gates = coupon_gates(coupon_types)
    return [replace(p, coupon_types=(p.coupon_types or frozenset()) | gates[p.id]) if p.id in gates else p
            for p in promotions]
