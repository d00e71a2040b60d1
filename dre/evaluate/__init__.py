"""The reference evaluator: plain Python, one readable function per rule; the executable spec.

Layering: `eligibility` (conditions) → `best_deal` (choose) → `apply` with `actions` and
`calculators` (discount) → `loyalty`, `recommend`; `pipeline.evaluate` runs them per part.
`indexed` puts an article index in front of the same checks (large sets, while the kernels
compile). `withheld` lists the promotions left out for the customer's limit (whichever set priced).
What it reads and produces (Context, Result, ...) lives in `dre.pricing`, shared with the kernels.
"""
from dre.evaluate.pipeline import evaluate
from dre.evaluate.promotion_set import ReferenceSet
from dre.evaluate.indexed import IndexedReferenceSet
from dre.evaluate.withheld import withheld

__all__ = ["IndexedReferenceSet", "ReferenceSet", "evaluate", "withheld"]
