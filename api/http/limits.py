"""Request body limits checked before anything reads the body: size (413) and type (415)."""
from __future__ import annotations

from quart import Request
from werkzeug.exceptions import RequestEntityTooLarge

from dre.errors import DREError

JSON_TYPES = frozenset({"application/json"})  # what the POS routes accept


def check_body(method: str, mimetype: str, content_length: int | None, max_bytes: int) -> None:
    """Raise DREError 413 for a declared length above ``max_bytes``, 415 for a non-JSON body.

    A chunked body without Content-Length is bounded while it is read (Quart's
    MAX_CONTENT_LENGTH answers 413 then).
    """
    if method not in ("POST", "PUT", "PATCH"):
        return
    if content_length is not None and content_length > max_bytes:
        raise DREError(413, "PAYLOAD_TOO_LARGE", f"request body exceeds {max_bytes} bytes")
    if mimetype not in JSON_TYPES:
        raise DREError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")


def raise_body_limit(request: Request, max_bytes: int) -> None:
    """Let this request's body grow to ``max_bytes`` (above the app's MAX_CONTENT_LENGTH).

    Quart fixes the limit when the request object is made (from MAX_CONTENT_LENGTH) and offers no
    per-route setting, so the body's own limit is raised here, before anything reads it; a
    declared length the app limit had already refused is re-judged against the new limit.
    """
    body = request.body
    body._max_content_length = max_bytes  # quart.wrappers.request.Body (Quart 0.20-0.22)
    if isinstance(body._must_raise, RequestEntityTooLarge) and (request.content_length or 0) <= max_bytes:
        body._must_raise = None
