"""The text of a missed promotion ("Spend 5.02 more for ..."), the same for both evaluators, and of
one left out for the customer's limit."""
from __future__ import annotations

from typing import TYPE_CHECKING

from dre.money import milli_to_number, to_major

if TYPE_CHECKING:
    from dre.promotion.model import Promotion


def recommendation_message(p: Promotion, missing_amount: int, missing_milli: int) -> str:
    parts = []
    if missing_amount:
        parts.append(f"Spend {to_major(missing_amount):.2f} more")
    if missing_milli:
        parts.append(f"buy {milli_to_number(missing_milli)} more")
    text = " and ".join(parts)
    return f"{text[0].upper()}{text[1:]} for {p.name}"


def customer_limit_message(p: Promotion, limit: int) -> str:
    times = "once" if limit == 1 else f"{limit} times"
    return f"{p.name}: this customer has used it {times}, its limit per customer"
