"""Every failure in the contract's error shape: ``{"error": {"code", "message", "details"}}``
(on an alias surface, such as the OData V4 one, in that surface's shape: api.http.surfaces).

Handlers for DREError, quart-schema's request validation error (400 with the failing paths),
werkzeug's HTTP errors (400 bad JSON, 404, 405, 413, 415, ...) and a catch-all that logs and
answers 500 without leaking internals.
"""
from __future__ import annotations

import logging

import orjson
from pydantic import ValidationError
from quart import Quart, Response, current_app, has_request_context, request
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from api.http.surfaces import surface_of
from dre.errors import DREError, invalid
from dre.wire.convert import validation_error

log = logging.getLogger("dre.api")
NOT_JSON = "request body is not valid JSON"  # the 400 message; api.app.DRERequest adds why

CODES = {  # HTTP status -> the contract's error code for errors raised by the HTTP layer
    400: "INVALID_INPUT",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    503: "SERVICE_UNAVAILABLE",
}
RETRY_AFTER_S = 1  # every 503 says when to try again: the store breaker's cool-down (1 s) and a
# pricing timeout both clear within about that long


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An ``application/json`` response serialised with orjson."""
    return Response(orjson.dumps(body), status=status, headers=headers, mimetype="application/json")


def encoded_json_response(body: bytes, status: int = 200) -> Response:
    """An ``application/json`` response whose body is JSON already (encoded once, where it was built)."""
    return Response(body, status=status, mimetype="application/json")


def error_body(err: DREError) -> dict:
    """The body of ``err`` in the shape of the surface the request came in on."""
    if has_request_context():
        surface = surface_of(current_app, request.path)
        if surface is not None:
            return surface.error_body(err)
    return err.to_json()


def error_response(err: DREError, headers: dict[str, str] | None = None) -> Response:
    if err.status == 503:
        headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_S)}
    return json_response(error_body(err), err.status, headers)


async def _dre_error(err: DREError) -> Response:
    if err.status >= 500:
        log.warning("request failed", extra={"status": err.status, "code": err.code, "error": err.message})
    return error_response(err)


async def _schema_error(err: RequestSchemaValidationError) -> Response:
    cause = err.validation_error
    if isinstance(cause, ValidationError):
        return error_response(validation_error(cause))
    # quart-schema also raises it for a body that is not an object (TypeError/ValueError).
    return error_response(invalid(f"request body does not match the schema: {cause}"))


async def _http_error(err: HTTPException) -> Response:
    status = err.code or 500
    if status == 400:
        description = err.description or ""
        message = description if description.startswith(NOT_JSON) else "bad request"
    else:
        message = err.name
    headers = {"Allow": ", ".join(err.valid_methods)} if getattr(err, "valid_methods", None) else None
    return error_response(DREError(status, CODES.get(status, f"HTTP_{status}"), message), headers)


async def _not_utf8(err: UnicodeDecodeError) -> Response:
    # Quart decodes the body as UTF-8 before parsing JSON; a bad byte is bad input, not a 500.
    return error_response(invalid("request body is not valid UTF-8 JSON"))


async def _unexpected(err: Exception) -> Response:
    log.error("unhandled error", exc_info=err)
    return error_response(DREError(500, "INTERNAL_ERROR", "internal error; it has been logged"))


def register_error_handlers(app: Quart) -> None:
    """Install the handlers; the most specific class wins (quart looks handlers up by MRO)."""
    app.register_error_handler(DREError, _dre_error)
    app.register_error_handler(RequestSchemaValidationError, _schema_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(UnicodeDecodeError, _not_utf8)
    app.register_error_handler(Exception, _unexpected)
