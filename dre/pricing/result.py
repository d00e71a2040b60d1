"""What an evaluation produces: frozen records, shaped into JSON by `dre.response`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import orjson


# LineDiscount and Applied are named tuples: a priced basket holds ~60 + 15 of them, built by the
# kernels' finish step (one tuple.__new__ each; the LineDiscounts only when read: evaluate's answer
# reads the kernels' rows), read once and freed. As frozen
# dataclasses each carried an instance dict: twice the memory, and a tenth more CPU to build, read
# and free (docs/capacity.md, issue 18 goal 6). Being tuples they also equal plain tuples of the
# same fields: no code compares them with any.
class LineDiscount(NamedTuple):
    promotion_id: str
    amount: int  # cents; negative on return lines
    coupon_code: str | None = None


@dataclass(frozen=True)
class Granted:
    article: str
    milli: int
    unit_price: int
    promotion_id: str


@dataclass(frozen=True)
class CouponResult:
    code: str
    status: str
    promotion_ids: tuple[str, ...]
    message: str
    reason: str | None = None  # the finer cause behind status (see dre.pricing.context.CouponCheck)


@dataclass(frozen=True)
class Recommendation:
    promotion_id: str
    missing_amount: int  # cents
    missing_milli: int
    potential_savings: int  # cents
    message: str


CUSTOMER_LIMIT_REACHED = "CUSTOMER_LIMIT_REACHED"  # Missed.reason: budget.perCustomerRedemptions used up


@dataclass(frozen=True)
class Missed:
    """A promotion this basket meets the conditions of but was priced without, and why."""

    promotion_id: str
    reason: str  # CUSTOMER_LIMIT_REACHED
    message: str


class Applied(NamedTuple):
    """A promotion that took effect on the transaction: on the sale part (what confirm consumes from
    its budget, the code it unlocked, its granted items and coupons), or only by points on the
    return part (``on_sale`` False: no budget, no code, nothing granted or issued)."""

    promotion_id: str
    amount: int  # cents of discount on the sale part
    points: int  # the transaction's points from this promotion: sale part minus return part
    coupon_code: str | None
    on_sale: bool = True


class PricedLines(NamedTuple):
    """A priced basket's lines as evaluate writes them: the answer's and the sale record's (made by
    dre.priced_lines, or by the kernels through :class:`LinesWriter`)."""

    # the answer's lineItems; JSON already when the kernels wrote them (see priced_lines ``encoded``)
    items: list[dict] | orjson.Fragment
    gross: int  # cents: every line's gross
    discount: int  # cents: every line's discounts
    by_promotion: dict[str, int]  # cents per promotion over every line, in order of first discount
    # per sale line (quantity > 0): [lineReference, milli, gross, {promotion: cents}] (JSON, as items)
    sale_rows: list[list] | orjson.Fragment
    # cents per promotion over the sale lines, in order of first discount (by_promotion itself when
    # no line is a return: read-only, both)
    sale_totals: dict[str, int]
    sale_lines: int  # how many sale rows
    sale_gross: int  # cents: the sale lines' gross


class LinesWriter(Protocol):
    """The lines of a Result the kernels priced, written as JSON on demand (kernels.answer_lines)."""

    def priced_lines(self) -> PricedLines: ...


@dataclass(frozen=True)
class Result:
    # per request line, in application order: a tuple (the reference evaluator), or a Sequence equal
    # to that tuple and made when first read (kernels.line_discounts: the service's path reads the
    # kernels' rows instead)
    lines: Sequence[tuple[LineDiscount, ...]]
    granted: tuple[Granted, ...]
    coupons: tuple[CouponResult, ...]
    recommendations: tuple[Recommendation, ...]
    applied: tuple[Applied, ...]  # in application order
    # False when the best-deal search stopped at its work bound (docs/semantics.md "Stacking and
    # best deal"): the choice is valid and the best found, not proven the best. The reference
    # evaluator is exhaustive: always True there.
    exact: bool = True
    # the kernels' rows behind ``lines``, for dre.priced_lines (None: the reference priced it, or
    # ``lines`` were changed after, as a linked return's merge does: it makes a new Result)
    lines_written: LinesWriter | None = field(default=None, compare=False, repr=False)

    @property
    def points(self) -> int:
        """The transaction's loyalty points: the sum of its promotions' points, so that every figure
        (evaluate's total, confirm's per promotion, what the side-effects job books) agrees."""
        return sum(a.points for a in self.applied)
