"""Promotions: the domain model (integer units) and its validation from the contract's JSON."""
from dre.promotion.gates import apply_coupon_gates, coupon_gates
from dre.promotion.model import Promotion, budget_limits
from dre.promotion.parse import from_wire, parse_promotion, parse_promotions

__all__ = ["Promotion", "apply_coupon_gates", "budget_limits", "coupon_gates", "from_wire", "parse_promotion", "parse_promotions"]
