"""What the OpenAPI document says beyond the routes' own models: the contract's error body on
every route (:func:`errors`), non-JSON responses (:func:`raw_response`), the key roles (the
bearer scheme's description), and the document built once (:class:`Provider`)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from quart_schema import OpenAPIProvider, document_response
from werkzeug.routing import Rule

from api.http.surfaces import alias_of

T = TypeVar("T", bound=Callable)

EXTRA_RESPONSES = "_dre_openapi_responses"  # attribute: {status: OpenAPI response object}
EXTRA_REQUESTS = "_dre_openapi_requests"  # attribute: {media type: OpenAPI media type object}
EXTRA_ANSWERS = "_dre_openapi_answers"  # attribute: {media type: OpenAPI media type object}
AUTH_ERRORS = (401,)
BODY_ERRORS = (400, 413, 415)
# the "bearer" security scheme's description: the key roles
BEARER_DESCRIPTION = """An API key of `DRE_API_KEYS`; it decides the tenant and the role.
`tenant:key` is a POS key: evaluate, simulate, confirm, coupon validate, reserve, redeem, cancel
and activate, heartbeat, loyalty, and `/metrics` with its own tenant's series.
`tenant:key:admin` is an admin key: all of that, `/metrics` of every tenant, and the admin-only
routes (every `/admin/*` route, `/pos/articles/import`, `/pos/articles/import-batch`,
`POST /pos/coupons/issue` and `POST /pos/coupons/void`, and their /odata/v4/pos/ aliases), where a POS key
gets 403 FORBIDDEN and nothing is done."""


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


def _record(attribute: str, key: object, value: dict) -> Callable[[T], T]:
    """A decorator adding ``key: value`` to the route's ``attribute`` dict (read by Provider)."""
    def decorate(func: T) -> T:
        setattr(func, attribute, {**getattr(func, attribute, {}), key: value})
        return func
    return decorate


def raw_response(status: int, media_type: str, description: str) -> Callable[[T], T]:
    """Document a non-JSON response (quart-schema documents pydantic models as JSON only)."""
    return _record(EXTRA_RESPONSES, status,
                   {"description": description, "content": {media_type: {"schema": {"type": "string"}}}})


def raw_request(media_type: str, description: str) -> Callable[[T], T]:
    """Document another request media type of a route's body, as text (quart-schema documents
    the model as JSON only)."""
    return _record(EXTRA_REQUESTS, media_type, {"schema": {"type": "string", "description": description}})


def also_answers(media_type: str, description: str) -> Callable[[T], T]:
    """Document that every response of a route may also come in ``media_type`` (as text)."""
    return _record(EXTRA_ANSWERS, media_type, {"schema": {"type": "string", "description": description}})


class Provider(OpenAPIProvider):
    """quart-schema's provider plus what :func:`raw_response`, :func:`raw_request` and
    :func:`also_answers` recorded, the alias surfaces' operations (api.http.surfaces), built once."""

    _document: dict[str, Any] | None = None
    _building = threading.Lock()

    def schema(self) -> dict[str, Any]:
        # quart-schema builds the document on every GET /openapi.json: ~0.2 s on the event loop,
        # which every request in flight on the worker waits for, on a route that needs no key.
        # The routes are fixed once the app serves, so one build answers them all (api.serve
        # builds it in a thread once the worker listens; a request meanwhile waits for that build).
        if self._document is None:
            with self._building:
                if self._document is None:
                    document = super().schema()
                    # quart-schema's HttpSecurityScheme takes no description: the roles are added here
                    document["components"]["securitySchemes"]["bearer"]["description"] = BEARER_DESCRIPTION
                    self._document = document
        return self._document

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        view = self._app.view_functions[rule.endpoint]
        extra = getattr(view, EXTRA_RESPONSES, None)
        if extra:
            for operations in paths.values():
                for operation in operations.values():
                    operation["responses"] = {**operation["responses"], **extra}
        bodies = getattr(view, EXTRA_REQUESTS, None)
        if bodies:
            for operations in paths.values():
                for operation in operations.values():
                    body = operation.setdefault("requestBody", {"content": {}})
                    body["content"] = {**body["content"], **bodies}
        answers = getattr(view, EXTRA_ANSWERS, None)
        if answers:
            for operations in paths.values():
                for operation in operations.values():
                    for response in operation["responses"].values():
                        response["content"] = {**response.get("content", {}), **answers}
        alias = alias_of(self._app, rule)
        if alias is not None:
            components = {**components, **_as_alias(paths, alias[0].name, alias[0].error_model, alias[1])}
        return paths, components


def _as_alias(paths: dict, surface: str, error_model: type[BaseModel], canonical: str) -> dict:
    """Make the operations of an alias rule its surface's: a distinct operationId, the surface's
    error body; returns the components that body needs."""
    schema = error_model.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.pop("$defs", {})
    for operations in paths.values():
        for operation in operations.values():
            if "operationId" in operation:
                operation["operationId"] += f"_{surface}"
            operation["description"] = f"Alias of `{canonical}` (same body, roles and answer).\n\n" + \
                operation.get("description", "")
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    response["content"] = {"application/json": {"schema": schema}}
    return components
