"""Missed promotions: candidates held back only by MIN_QUANTITY / MIN_SPEND ("spend 5.02 more")."""
from __future__ import annotations

from dataclasses import replace

from dre.evaluate.actions import PartLine
from dre.evaluate.apply import apply
from dre.evaluate.eligibility import Eligibility
from dre.pricing.messages import recommendation_message
from dre.pricing.result import Recommendation
from dre.promotion import model as m


def recommend(near: list[tuple[m.Promotion, Eligibility]], lines: list[PartLine]) -> list[Recommendation]:
    """One recommendation per nearly-eligible promotion, smallest gap first (then id)."""
    out = []
    for p, e in near:
        unlocked = replace(p, min_quantity=None, min_spend=())
        saving = sum(apply([unlocked], lines)[p.id])
        out.append(Recommendation(p.id, e.missing_amount, e.missing_milli, saving,
                                  recommendation_message(p, e.missing_amount, e.missing_milli)))
    return sorted(out, key=lambda r: (r.missing_amount, r.missing_milli, r.promotion_id))
