"""Pydantic models for the OpenAPI document: responses, the error shape, and the request bodies of
the routes whose bodies the domain does not need (confirm, coupons).

Evaluate's request body is the domain's own wire model (``dre.wire``), which also validates it.
"""
from api.confirm.schemas import ConfirmRequestBody, ConfirmResponse, SideEffectsResponse
from api.evaluate.schemas import EvaluateResponse

__all__ = ["ConfirmRequestBody", "ConfirmResponse", "EvaluateResponse", "SideEffectsResponse"]
