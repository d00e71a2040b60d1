"""Promotions: the domain model (integer units) and its validation from the contract's JSON."""
from dre.promotion.model import Promotion
from dre.promotion.parse import from_wire, parse_promotion, parse_promotions

__all__ = ["Promotion", "from_wire", "parse_promotion", "parse_promotions"]
