"""Decorators that put the error responses into the OpenAPI document."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from quart_schema import document_response

from api.schemas.errors import ErrorResponse

T = TypeVar("T", bound=Callable)

AUTH_ERRORS = (401,)
BODY_ERRORS = (400, 413, 415)


def errors(*statuses: int) -> Callable[[T], T]:
    """Document ``ErrorResponse`` for each status."""
    def decorate(func: T) -> T:
        for status in statuses:
            func = document_response(ErrorResponse, status)(func)
        return func
    return decorate
