"""Pydantic models for the OpenAPI document: responses and the error shape.

Request bodies are the domain's own wire models (``dre.wire``), which also validate requests.
"""
from api.schemas.errors import ErrorResponse
from api.schemas.evaluate import EvaluateResponse
from api.schemas.heartbeat import Heartbeat

__all__ = ["ErrorResponse", "EvaluateResponse", "Heartbeat"]
