"""Decorators that put the error responses into the OpenAPI document."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from quart_schema import OpenAPIProvider, document_response
from werkzeug.routing import Rule

from api.schemas.errors import ErrorResponse

T = TypeVar("T", bound=Callable)

EXTRA_RESPONSES = "_dre_openapi_responses"  # attribute: {status: OpenAPI response object}
AUTH_ERRORS = (401,)
BODY_ERRORS = (400, 413, 415)


def errors(*statuses: int) -> Callable[[T], T]:
    """Document ``ErrorResponse`` for each status."""
    def decorate(func: T) -> T:
        for status in statuses:
            func = document_response(ErrorResponse, status)(func)
        return func
    return decorate


def raw_response(status: int, media_type: str, description: str) -> Callable[[T], T]:
    """Document a non-JSON response (quart-schema documents pydantic models as JSON only)."""
    def decorate(func: T) -> T:
        extra = dict(getattr(func, EXTRA_RESPONSES, {}))
        extra[status] = {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}
        setattr(func, EXTRA_RESPONSES, extra)
        return func
    return decorate


class Provider(OpenAPIProvider):
    """quart-schema's provider plus the responses recorded by :func:`raw_response`, built once."""

    _document: dict[str, Any] | None = None

    def schema(self) -> dict[str, Any]:
        # quart-schema builds the document on every GET /openapi.json: ~0.2 s on the event loop,
        # which every request in flight on the worker waits for, on a route that needs no key.
        # The routes are fixed once the app serves, so one build answers them all (api.serve
        # builds it before serving).
        if self._document is None:
            self._document = super().schema()
        return self._document

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        extra = getattr(self._app.view_functions[rule.endpoint], EXTRA_RESPONSES, None)
        if extra:
            for operations in paths.values():
                for operation in operations.values():
                    operation["responses"] = {**operation["responses"], **extra}
        return paths, components
