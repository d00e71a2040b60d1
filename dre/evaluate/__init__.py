"""The reference evaluator: plain Python, one readable function per rule; the executable spec.

Layering: `eligibility` (conditions) → `best_deal` (choose) → `apply` with `actions` and
`calculators` (discount) → `loyalty`, `recommend`; `pipeline.evaluate` runs them per part.
"""
from dre.evaluate.context import USABLE, Context, CouponCheck
from dre.evaluate.pipeline import evaluate
from dre.evaluate.promotion_set import ReferenceSet
from dre.evaluate.result import Applied, CouponResult, Granted, LineDiscount, Recommendation, Result

__all__ = ["USABLE", "Applied", "Context", "CouponCheck", "CouponResult", "Granted", "LineDiscount",
           "Recommendation", "ReferenceSet", "Result", "evaluate"]
