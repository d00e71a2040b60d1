"""The pricing vocabulary both evaluators share: what goes in (Context), what comes out (Result and
its records, coupon results, recommendation texts) and the two-phase PromotionSet interface.

`dre.evaluate` (the reference evaluator) and `kernels` (numba) are its two implementations.
"""
from dre.pricing.budgets import over_budget
from dre.pricing.context import USABLE, Context, CouponCheck
from dre.pricing.promotion_set import (
           Prepared,
           PromotionSet,
           Staged,
           evaluate_in_phases,
           merge_candidates,
)
from dre.pricing.result import (
           CUSTOMER_LIMIT_REACHED,
           Applied,
           CouponResult,
           Granted,
           LineDiscount,
           Missed,
           Recommendation,
           Result,
)

__all__ = ["CUSTOMER_LIMIT_REACHED", "USABLE", "Applied", "Context", "CouponCheck", "CouponResult", "Granted",
           "LineDiscount", "Missed", "Prepared", "PromotionSet", "Recommendation", "Result", "Staged",
           "evaluate_in_phases", "merge_candidates", "over_budget"]
