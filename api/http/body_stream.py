"""A request body read as a stream, with backpressure: what a route that takes hundreds of
megabytes (the batch article import) holds in memory is bounded by a window, not by the body.

Quart reads a request's body eagerly: its ASGI loop receives every message as soon as the server
has it and appends it to ``request.body``, whether or not the handler keeps up. So for the
streaming routes :class:`BodyWindow` (ASGI middleware, between the server and Quart) hands Quart
the next body message only while fewer than ``window_bytes`` have been handed over and not yet
consumed by the handler; the handler reads with :func:`stream_body`, which reports what it has
consumed. The server's own flow control then holds back the client (hypercorn stops reading the
socket when the app stops receiving). Without the middleware (Quart's test client) the body is
still streamed, only without backpressure.
"""
from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, MutableMapping

import trio
from quart import Request

from dre.errors import DREError

Message = MutableMapping[str, Any]
SCOPE_KEY = "dre.body_window"
WINDOW_BYTES = 4 * 1024 * 1024  # handed to Quart but not yet consumed by the handler, at most


class _Meter:
    """Bytes handed to Quart and bytes the handler consumed, for one request."""

    def __init__(self, window_bytes: int) -> None:
        self.window_bytes = window_bytes
        self.handed = 0
        self.consumed = 0
        self._room = trio.Event()

    def consume(self, n: int) -> None:
        self.consumed += n
        self._room.set()

    async def wait_for_room(self) -> None:
        while self.handed - self.consumed >= self.window_bytes:
            self._room = trio.Event()
            await self._room.wait()


class BodyWindow:
    """ASGI middleware: backpressure for the request bodies of ``paths`` (see module docstring)."""

    def __init__(self, app: Callable[..., Awaitable[None]], paths: frozenset[str],
                 window_bytes: int = WINDOW_BYTES) -> None:
        self.app = app
        self.paths = paths
        self.window_bytes = window_bytes

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        meter = _Meter(self.window_bytes)

        async def windowed_receive() -> Message:
            await meter.wait_for_room()
            message = await receive()
            if message["type"] == "http.request":
                meter.handed += len(message.get("body", b""))
            return message

        await self.app({**scope, SCOPE_KEY: meter}, windowed_receive, send)


async def stream_body(request: Request, max_bytes: int) -> AsyncIterator[bytes]:
    """The request body, piece by piece as it arrives. Raises DREError 413 PAYLOAD_TOO_LARGE as
    soon as more than ``max_bytes`` came (Quart's own limit counts only what is buffered)."""
    meter: _Meter | None = request.scope.get(SCOPE_KEY)
    total = 0
    async for piece in request.body:
        total += len(piece)
        if total > max_bytes:
            raise DREError(413, "PAYLOAD_TOO_LARGE", f"request body exceeds {max_bytes} bytes")
        yield piece
        if meter is not None:
            meter.consume(len(piece))
