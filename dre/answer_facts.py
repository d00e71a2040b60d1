"""What evaluate's answer and records read of a promotion, made once per promotion and set.

The over-budget check, the answer, the iteration record and the sale record each read a few
attributes of every applied promotion (name, type, version, budget, coupons to issue, fixed points,
the threshold of a receipt-level one), some derived by a loop over its actions. A promotion set's
:class:`FactsTable` keeps them in one small object per promotion, derived the first time a request
needs it, so that a request touches that object instead of each promotion's several (~20 µs per
evaluate were cache misses on the 10,000 promotions' objects: issue 18, goal 6). Filled lazily: a
start-up set of 100,000 promotions is loaded packed, each promotion unpickled when first read
(dre.evaluate.packed_set); this does not make them all.
"""
from __future__ import annotations

from collections.abc import Mapping

from dre.evaluate.loyalty import fixed_points
from dre.promotion import model as m

RECEIPT_LEVEL = (m.ReceiptAction, m.ScaledReceiptAction)


class PromotionFacts:
    """One promotion as the answer and the records read it (the same attribute names where they
    are the promotion's)."""

    __slots__ = ("promotion", "name", "type", "label", "version", "budget", "budget_limits", "issue_coupons",
                 "fixed_points", "threshold")

    def __init__(self, p: m.Promotion) -> None:
        self.promotion = p
        self.name, self.type, self.version, self.budget = p.name, p.type, p.version, p.budget
        self.label = (p.name, p.type)  # the sale record's names (a tuple: the same JSON as a list)
        # the iteration record's budget and issueCoupons (read-only: each record encodes them at once)
        b = p.budget
        self.budget_limits = None if b is None else {"amount": b.amount, "redemptions": b.redemptions,
                                                     "perCustomer": b.per_customer}
        self.issue_coupons = tuple({"couponTypeId": i.coupon_type, "count": i.count} for i in p.issue_coupons)
        self.fixed_points = fixed_points(p)
        receipt_level = any(isinstance(a, RECEIPT_LEVEL) for a in p.price_actions)
        self.threshold = receipt_threshold(p) if receipt_level else None


def receipt_threshold(p: m.Promotion) -> tuple[tuple[tuple[int, bool], ...], int] | None:
    """What a receipt-level promotion needs the (remaining) sale to meet, for the sale record's
    ``receipt`` (dre.returns.record): its spends ((cents, whole receipt?), ...) and its quantity
    (milli, 0: none); None when it has no threshold. Read-only: records encode it at once."""
    spend = tuple((s.cents, s.receipt_scope) for s in p.min_spend)
    # below the lowest tier no tier is reached
    spend += tuple((a.tiers[0][0], True) for a in p.price_actions if isinstance(a, m.ScaledReceiptAction) and a.tiers)
    qty = p.min_quantity.milli if p.min_quantity else 0
    if not spend and not qty:
        return None
    return spend, qty


class FactsTable(dict[str, PromotionFacts]):
    """Promotion id -> :class:`PromotionFacts` of ``promotions``, each made when first asked for
    with ``table[pid]`` (KeyError for an id not among them). ``get`` and ``in`` see only those made
    already: :meth:`find` is the lookup that may miss. Used on the event loop's thread only."""

    def __init__(self, promotions: Mapping[str, m.Promotion]) -> None:
        super().__init__()
        self.promotions = promotions

    def __missing__(self, pid: str) -> PromotionFacts:
        facts = self[pid] = PromotionFacts(self.promotions[pid])
        return facts

    def find(self, pid: str) -> PromotionFacts | None:
        """The facts of ``pid``, or None when it is not one of the promotions."""
        facts = self.get(pid)
        if facts is None and pid in self.promotions:
            facts = self[pid]
        return facts


def facts_table(promotions: Mapping[str, m.Promotion] | FactsTable) -> FactsTable:
    """``promotions`` when it is a table already (a set's, kept by the engine), else a new one."""
    return promotions if isinstance(promotions, FactsTable) else FactsTable(promotions)
