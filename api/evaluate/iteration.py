"""The priced iteration that evaluate keeps with each transactionCounter, and its reading by confirm.

Confirm does not re-price: it commits what this record says was priced. So the record carries
everything confirm and the side-effects job need, frozen at evaluate time: the applied promotions
with the version and the budget limits they were priced with (a promotion edited between evaluate
and confirm does not change what this iteration consumes or is checked against), the coupon codes
it used, the customer, the loyalty member, and the answer's ``totals`` (confirm's answer repeats
them). Not the rest of the answer: nothing reads its lines back, and at ~20 KB for a 30-line
basket they were most of the bytes every evaluate sent to Redis. Amounts are integer cents.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from dre.answer_facts import FactsTable, facts_table
from dre.basket import Basket
from dre.priced_lines import priced_lines
from dre.pricing.result import PricedLines, Result
from dre.returns import LinkedReturns, sale_record
from dre.promotion.model import Promotion
from dre.store.records import NO_LIMIT, BudgetUse

APPLIED = "APPLIED"  # the couponResults status of a code that unlocked a promotion


def iteration_record(basket: Basket, result: Result, answer_totals: Mapping[str, object],
                     promotions: Mapping[str, Promotion] | FactsTable, promotions_version: int,
                     linked: LinkedReturns | None = None, *, lines: PricedLines | None = None) -> bytes:
    """The JSON kept with the counter (see the module docstring for what and why); ``answer_totals``
    is the ``totals`` of the answer's :func:`dre.response.response_body`; ``linked``: what its
    linked return lines use of the sales they name (confirm adds it to those sales' counters).
    ``promotions``: by id, or their facts (the set's table: dre.answer_facts); ``lines``: the
    answer's :func:`dre.priced_lines.priced_lines` (walked again if None: ``promotions`` must
    then name every discounted promotion, a linked return's too)."""
    facts = facts_table(promotions)
    if lines is None:
        lines = priced_lines(basket, result, facts)
    applied = []
    for a in result.applied:
        f = facts.find(a.promotion_id)
        sale = f if a.on_sale else None  # points on the return part only: no budget, nothing issued
        applied.append({
            "promotionId": a.promotion_id, "amount": a.amount, "points": a.points, "couponCode": a.coupon_code,
            "version": f.version if f else None, "budget": sale.budget_limits if sale else None,
            "issueCoupons": sale.issue_coupons if sale else (),
        })
    return orjson.dumps({
        "customerId": basket.customer_id,
        "loyaltyCardNo": basket.loyalty_card,
        "storeId": basket.store_id,
        "promotionsVersion": promotions_version,
        "applied": applied,
        # presented codes that unlocked a promotion, in request order: what confirm claims
        "coupons": [c.code for c in result.coupons if c.status == APPLIED],
        "totals": {"gross": lines.gross, "discount": lines.discount, "points": result.points},
        "response": {"totals": answer_totals},
        # kept by confirm for the returns that may name this sale (dre.returns)
        "sale": sale_record(basket, result, facts, lines),
        "returns": linked.increments if linked is not None else {},
    })


@dataclass(frozen=True)
class AppliedPromotion:
    promotion_id: str
    amount: int  # cents of discount on the sale part (>= 0)
    points: int  # the transaction's points from this promotion (sale part minus return part)
    coupon_code: str | None
    version: int | None
    budget: dict | None  # {"amount" (cents), "redemptions", "perCustomer"}, each None when not set
    issue_coupons: tuple[dict, ...]  # ({"couponTypeId", "count"}, ...)

    def budget_use(self) -> BudgetUse | None:
        """What confirm consumes of this promotion's budget; None when it has no budget.

        Consumption is the sale-part discount: returns never release budget (a returned article's
        discount is not given back to the promotion's budget).
        """
        if self.budget is None:
            return None

        def limit(v: int | None) -> int:
            return NO_LIMIT if v is None else int(v)

        return BudgetUse(self.promotion_id, max(0, self.amount), limit(self.budget.get("redemptions")),
                         limit(self.budget.get("amount")), limit(self.budget.get("perCustomer")))


@dataclass(frozen=True)
class Iteration:
    """A stored iteration, read back (confirm)."""

    customer_id: str | None
    loyalty_card: str | None
    store_id: str | None
    promotions_version: int | None
    applied: tuple[AppliedPromotion, ...]
    coupons: tuple[str, ...]
    totals: dict  # cents: gross, discount, points
    response: dict  # {"totals": the answer's totals as evaluate answered them}
    sale: dict | None = None  # dre.returns.sale_record of the sale part (None: nothing to give back)
    returns: dict | None = None  # original transactionId -> [[counter field, delta, limit], ...]
    forwarded: bool = False  # a local instance's transaction, committed by central (api.central.accept)

    @property
    def member(self) -> str | None:
        """Who earns the loyalty points: the loyalty card, else the customer."""
        return self.loyalty_card or self.customer_id

    @classmethod
    def parse(cls, raw: str | bytes) -> "Iteration":
        d = orjson.loads(raw)
        applied = tuple(
            AppliedPromotion(a["promotionId"], int(a["amount"]), int(a.get("points") or 0), a.get("couponCode"),
                             a.get("version"), a.get("budget"), tuple(a.get("issueCoupons") or ()))
            for a in d.get("applied", ()))
        return cls(d.get("customerId"), d.get("loyaltyCardNo"), d.get("storeId"), d.get("promotionsVersion"), applied,
                   tuple(d.get("coupons") or ()), d.get("totals") or {}, d.get("response") or {}, d.get("sale"),
                   d.get("returns") or {}, bool(d.get("forwarded")))
