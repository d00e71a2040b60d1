"""Missed promotions: those left out for this customer's per-customer limit (``Context.customer_spent``)
that the basket otherwise qualifies for, for the answer's ``missedPromotions``."""
from __future__ import annotations

from collections.abc import Mapping

from dre.basket import Basket
from dre.evaluate import eligibility
from dre.evaluate.pipeline import split_parts
from dre.pricing.context import Context
from dre.pricing.messages import customer_limit_message
from dre.pricing.result import CUSTOMER_LIMIT_REACHED, Missed
from dre.promotion.model import Promotion


def withheld(promotions: Mapping[str, Promotion], basket: Basket, ctx: Context) -> tuple[Missed, ...]:
    """One Missed per promotion of ``ctx.customer_spent`` whose every other condition the sale part
    of ``basket`` meets (it would have been a candidate), by id. Whatever implementation priced the
    basket, this list is the same: it reads only the conditions, not the pricing."""
    if not ctx.customer_spent:
        return ()
    sale, _ = split_parts(basket)
    if not sale:
        return ()  # a return consumes no budget: nothing was withheld from it
    usable = ctx.usable_types(basket.coupons)
    out = []
    for pid in sorted(ctx.customer_spent):
        p = promotions.get(pid)
        if p is None or p.budget is None or p.budget.per_customer is None:
            continue
        if eligibility.check(p, basket, sale, ctx.exhausted, usable).ok:
            out.append(Missed(pid, CUSTOMER_LIMIT_REACHED, customer_limit_message(p, p.budget.per_customer)))
    return tuple(out)
