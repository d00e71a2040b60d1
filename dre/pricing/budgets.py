"""The one verdict on money budgets at evaluate: a promotion whose discount the known remainder of
its budget cannot cover is left out (docs/semantics.md "Budgets").

Leaving it out (rather than granting only the remainder) keeps every discount a promotion gives
exactly its rule's, and a remainder too small for this basket stays for smaller baskets. The
caller prices again without the ids returned, so the best deal is chosen among what can be paid.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from dre.pricing.result import Applied

if TYPE_CHECKING:  # dre.promotion imports dre.pricing
    from dre.answer_facts import PromotionFacts
    from dre.promotion.model import Promotion


def over_budget(applied: Iterable[Applied], promotions: Mapping[str, Promotion | PromotionFacts],
                remaining: Mapping[str, int]) -> frozenset[str]:
    """Ids of the applied promotions whose sale-part discount (what confirm would consume) exceeds
    what is known to be left of their money budget (absent from ``remaining``: the whole limit).
    ``promotions``: the set that priced them, by id, or its facts (dre.answer_facts)."""
    out = set()
    for a in applied:
        p = promotions[a.promotion_id]  # [], not get: a set's FactsTable makes the facts when first asked
        limit = p.budget.amount if p.budget is not None else None
        if limit is not None and a.amount > remaining.get(a.promotion_id, limit):
            out.add(a.promotion_id)
    return frozenset(out)
