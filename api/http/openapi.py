"""What the OpenAPI document says beyond the routes' own models: the contract's error body on
every route (:func:`errors`), non-JSON responses (:func:`raw_response`), the key roles (the
bearer scheme's description), and the document built once (:class:`Provider`)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from quart_schema import OpenAPIProvider, document_response
from werkzeug.routing import Rule

T = TypeVar("T", bound=Callable)

EXTRA_RESPONSES = "_dre_openapi_responses"  # attribute: {status: OpenAPI response object}
AUTH_ERRORS = (401,)
BODY_ERRORS = (400, 413, 415)
# the "bearer" security scheme's description: the key roles
BEARER_DESCRIPTION = """An API key of `DRE_API_KEYS`; it decides the tenant and the role.
`tenant:key` is a POS key: evaluate, simulate, confirm, coupon validate, reserve, redeem, cancel
and activate, heartbeat, loyalty, and `/metrics` with its own tenant's series.
`tenant:key:admin` is an admin key: all of that, `/metrics` of every tenant, and the admin-only
routes (every `/admin/*` route, `/pos/articles/import`, `/pos/articles/import-batch`,
`POST /pos/coupons/issue` and `POST /pos/coupons/void`), where a POS key gets 403 FORBIDDEN and nothing is done."""


class ErrorDetail(BaseModel):
    path: str = Field(description="JSON path of the offending input, e.g. request.items[2].quantity")
    issue: str


class ErrorInfo(BaseModel):
    code: str = Field(description="INVALID_INPUT, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, METHOD_NOT_ALLOWED, "
                                  "PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, STORE_UNAVAILABLE, ENGINE_UNAVAILABLE, "
                                  "INTERNAL_ERROR, ...")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """Every failure: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorInfo


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
            document = super().schema()
            # quart-schema's HttpSecurityScheme takes no description: the roles are added here
            document["components"]["securitySchemes"]["bearer"]["description"] = BEARER_DESCRIPTION
            self._document = document
        return self._document

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        extra = getattr(self._app.view_functions[rule.endpoint], EXTRA_RESPONSES, None)
        if extra:
            for operations in paths.values():
                for operation in operations.values():
                    operation["responses"] = {**operation["responses"], **extra}
        return paths, components
