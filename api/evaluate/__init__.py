"""Evaluate and simulate: the routes (``routes``), their documented answer (``schemas``), and the
pricing glue (``pricing``: coupon checks, exhausted budgets, the engine, the transactionCounter).
Evaluate keeps the priced iteration with each counter (``iteration``), which confirm commits.
"""
from api.evaluate.coupons import REASON_STATUS, check_coupons
from api.evaluate.iteration import Iteration, iteration_record
from api.evaluate.routes import bp
from api.evaluate.schemas import EvaluateResponse, Totals

__all__ = ["REASON_STATUS", "EvaluateResponse", "Iteration", "Totals", "bp", "check_coupons", "iteration_record"]
