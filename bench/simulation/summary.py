"""What a simulated day adds up to, collected slice by slice."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SAVINGS_BINS = np.array([0, 1, 100, 200, 500, 1000, 2000, 5000, 10_000, 2**62], dtype=np.int64)  # cents
"""Upper-exclusive bin edges of the per-basket savings histogram (0 means no saving)."""


@dataclass
class PromotionTotals:
    promotion_id: str
    name: str
    budget_amount: int | None  # cents
    budget_redemptions: int | None
    spend: int = 0  # cents of discount granted (confirmed; a basket's net, counted when positive)
    redemptions: int = 0  # confirmed baskets that got a positive discount of it, or points
    refused: int = 0  # confirms refused because the budget ran out
    left_out: int = 0  # baskets priced without it: the known remainder could not pay their discount
    exhausted_minute: int | None = None  # minute of day when the budget ran out
    points: int = 0  # loyalty points it awarded (confirmed baskets)
    burn: list[int] = field(default_factory=list)  # after each slice: cents used of a money budget,
    # else redemptions used of a redemption budget

    @property
    def burn_limit(self) -> int | None:
        """The limit ``burn`` counts towards (cents, else redemptions; None: no budget)."""
        return self.budget_amount if self.budget_amount is not None else self.budget_redemptions


@dataclass
class DaySummary:
    slice_minutes: list[int] = field(default_factory=list)
    baskets: int = 0
    lines: int = 0
    gross: int = 0
    discount: int = 0
    points: int = 0
    coupon_redemptions: int = 0
    coupon_refusals: int = 0
    unconfirmed: int = 0  # baskets still refused after re-pricing (left out of every total)
    confirms: int = 0  # transactions confirmed through confirm.lua (accepted or refused)
    confirm_calls: int = 0  # confirm.lua calls they went in (many transactions a call)
    disagreements: int = 0  # Redis verdicts that differ from the forecast (bench.simulation.ledger)
    store_requests: int = 0  # requests the store actor answered, and the pipelines it ran them in
    store_pipelines: int = 0
    promotions: dict[str, PromotionTotals] = field(default_factory=dict)
    spend_by_hour: dict[int, int] = field(default_factory=dict)
    baskets_by_hour: dict[int, int] = field(default_factory=dict)
    savings_hist: np.ndarray = field(default_factory=lambda: np.zeros(len(SAVINGS_BINS) - 1, dtype=np.int64))
    wall_seconds: float = 0.0
    pricing_seconds: float = 0.0
    store_seconds: float = 0.0  # drawing baskets and confirming through the store (not pricing)

    def add_savings(self, per_basket: np.ndarray) -> None:
        idx = np.searchsorted(SAVINGS_BINS, per_basket, side="right") - 1
        self.savings_hist += np.bincount(np.clip(idx, 0, len(self.savings_hist) - 1),
                                         minlength=len(self.savings_hist))

    def to_json(self) -> dict:
        def hhmm(m: int | None) -> str | None:
            return None if m is None else f"{m // 60:02d}:{m % 60:02d}"

        return {
            "baskets": self.baskets,
            "lines": self.lines,
            "gross": self.gross / 100,
            "discount": self.discount / 100,
            "loyaltyPoints": self.points,
            "couponRedemptions": self.coupon_redemptions,
            "couponRefusals": self.coupon_refusals,
            "unconfirmedBaskets": self.unconfirmed,
            "confirms": self.confirms,
            "confirmsPerCall": round(self.confirms / self.confirm_calls, 1) if self.confirm_calls else None,
            "storeDisagreements": self.disagreements,
            "storeRequestsPerPipeline": round(self.store_requests / self.store_pipelines, 1)
            if self.store_pipelines else None,
            "wallSeconds": round(self.wall_seconds, 3),
            "pricingSeconds": round(self.pricing_seconds, 3),
            "storeSeconds": round(self.store_seconds, 3),
            "basketsPerSecond": round(self.baskets / self.wall_seconds) if self.wall_seconds else None,
            "promotions": [{
                "promotionId": t.promotion_id, "name": t.name,
                "budgetAmount": None if t.budget_amount is None else t.budget_amount / 100,
                "budgetRedemptions": t.budget_redemptions,
                "spend": t.spend / 100, "redemptions": t.redemptions, "loyaltyPoints": t.points,
                "refusedAtConfirm": t.refused,
                "leftOutForBudget": t.left_out,
                "budgetExhaustedAt": hhmm(t.exhausted_minute),
            } for t in sorted(self.promotions.values(), key=lambda t: -t.spend)],
            "spendByHour": {f"{h:02d}": v / 100 for h, v in sorted(self.spend_by_hour.items())},
            "basketsByHour": {f"{h:02d}": v for h, v in sorted(self.baskets_by_hour.items())},
            "savingsDistribution": [{
                "from": int(lo) / 100, "to": None if hi >= 2**62 else int(hi) / 100, "baskets": int(c),
            } for lo, hi, c in zip(SAVINGS_BINS[:-1], SAVINGS_BINS[1:], self.savings_hist)],
        }
