"""The contract's error body, for the OpenAPI document."""
from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    path: str = Field(description="JSON path of the offending input, e.g. request.items[2].quantity")
    issue: str


class ErrorInfo(BaseModel):
    code: str = Field(description="INVALID_INPUT, UNAUTHORIZED, NOT_FOUND, METHOD_NOT_ALLOWED, PAYLOAD_TOO_LARGE, "
                                  "UNSUPPORTED_MEDIA_TYPE, STORE_UNAVAILABLE, ENGINE_UNAVAILABLE, INTERNAL_ERROR, ...")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """Every failure: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorInfo
