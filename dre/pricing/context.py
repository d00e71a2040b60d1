"""What the evaluator knows besides promotions and basket: coupon checks, budgets, prices."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

# Coupon statuses as the contract names them in couponResults.
USABLE = "USABLE"  # internal: the code may be used by this transaction


@dataclass(frozen=True)
class CouponCheck:
    """A presented code as pricing sees it: its status for this basket, read before pricing (from
    the store's dre.store.records.CodeValidation, or a GENERIC code of the promotion file)."""

    code: str
    status: str  # USABLE, or its couponResults status: INVALID, NOT_ACTIVE, EXPIRED, ALREADY_REDEEMED,
    # RESERVED_ELSEWHERE, LIMIT_REACHED, NOT_APPLICABLE (valid, but not combinable: see reason)
    type_id: str | None = None
    reason: str | None = None  # the finer cause behind status when there is one: NOT_FOR_CUSTOMER,
    # CANCELLED (voided, or its GENERIC type deleted), NOT_STACKABLE
    stackable: bool = True  # False: its type says isStackable false


@dataclass(frozen=True)
class Context:
    coupons: Mapping[str, CouponCheck] = field(default_factory=dict)  # by code
    exhausted: frozenset[str] = frozenset()  # promotion ids whose budget is known used up
    # cents known left of money budgets, by promotion id (absent: the whole limit); a promotion
    # whose sale-part discount exceeds it is left out (dre.pricing.budgets.over_budget)
    remaining: Mapping[str, int] = field(default_factory=dict)
    prices: Mapping[str, int] = field(default_factory=dict)  # article master prices (cents)
    # promotion ids this basket's customer has redeemed budget.perCustomerRedemptions times
    customer_spent: frozenset[str] = frozenset()

    @cached_property
    def left_out(self) -> frozenset[str]:
        """Every promotion priced without: budget used up, or used up by this customer. (Both
        evaluators read this one set; why each was left out is for the answer to say.)"""
        return self.exhausted | self.customer_spent if self.customer_spent else self.exhausted

    def usable_types(self, codes: tuple[str, ...]) -> dict[str, str]:
        """Coupon type id -> the first presented usable code of that type (request order)."""
        out: dict[str, str] = {}
        for code in codes:
            chk = self.coupons.get(code)
            if chk and chk.status == USABLE and chk.type_id and chk.type_id not in out:
                out[chk.type_id] = code
        return out
