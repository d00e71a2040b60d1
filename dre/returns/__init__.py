"""Linked returns: a return line naming the confirmed sale it comes from gives back exactly the
discount that sale line got, per unit, never more (docs/semantics.md "Linked returns").

``record``: what confirm keeps of a sale (its lines' discounts, the thresholds of its receipt-level
discounts, its proportional points). ``linked``: the discounts and points a basket's linked return
lines give back, from that record and what earlier returns of the sale already gave back, plus the
bounded increments confirm makes atomically so that no sale gives back more than it got.
"""
from dre.returns.linked import LinkedReturns, PromotionLabel, SaleState, merge_linked, price_linked
from dre.returns.record import sale_record

__all__ = ["LinkedReturns", "PromotionLabel", "SaleState", "merge_linked", "price_linked", "sale_record"]
