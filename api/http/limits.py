"""Request body limits checked before anything reads the body: size (413) and type (415); and
:class:`SettleBody`, which keeps a keep-alive connection usable after such an early answer."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import trio
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


Message = MutableMapping[str, Any]
DRAIN_TIMEOUT_S = 5.0  # how long an early answer waits for the rest of a body it did not read


def _declared_length(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """(Content-Length, whether a body comes at all) from ASGI headers."""
    length, chunked = None, False
    for name, value in headers:
        name = name.lower()
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked or bool(length)


class SettleBody:
    """ASGI middleware: an answer given before the request body was read leaves the connection
    serving its next request, or closes it; it never leaves it hanging.

    Hypercorn (h11) recycles a keep-alive connection only when both the request and the response
    are complete. When the app answers before the body has arrived (401, 413, 415: the checks of
    ``before_request`` read only headers), the request is still in its body, and hypercorn's
    closing of the connection runs inside the app's own ``send``, which Quart then cancels (it
    ends the request's nursery as hypercorn reports the stream closed): the socket stays open,
    the rest of the body and the next request are read as this request's body, and the client
    waits for an answer that never comes.

    So, at the start of an answer whose request body is incomplete:

    - a body of at most ``max_drain_bytes`` is awaited (Quart keeps receiving it; its own limit
      keeps no more than that in memory) for up to ``timeout_s``; once complete, the connection is
      reused as usual;
    - a body declared or grown beyond ``max_drain_bytes``, or one that does not arrive in time, is
      not waited for: the answer says ``Connection: close``;

    and every ``send`` is shielded from cancellation, so that hypercorn closes the connection
    when it must (the client sees the answer, then the end of the connection).
    """

    def __init__(self, app: Callable[..., Awaitable[None]], max_drain_bytes: int,
                 timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        self.app = app
        self.max_drain_bytes = max_drain_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, has_body = _declared_length(scope.get("headers", []))
        complete = trio.Event()  # the last body message arrived (or the client left)
        settled = trio.Event()  # complete, or past what we are willing to wait for
        received = 0
        if not has_body:
            complete.set()
            settled.set()

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if not message.get("more_body", False):
                    complete.set()
            elif message["type"] == "http.disconnect":
                complete.set()
            if complete.is_set() or received > self.max_drain_bytes:
                settled.set()
            return message

        async def settling_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not complete.is_set():
                if declared is None or declared <= self.max_drain_bytes:
                    with trio.move_on_after(self.timeout_s):
                        await settled.wait()
                if not complete.is_set():
                    message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            with trio.CancelScope(shield=True):
                await send(message)

        await self.app(scope, counting_receive, settling_send)
