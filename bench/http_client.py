"""The load generator's HTTP/1.1 client: lean enough that the generator measures the server.

A request through httpx (under trio via anyio) costs about a millisecond of CPU on the 2-core
development machine, where the generator shares the CPU with the service it measures; the
open-loop max-rate search then found the generator's ceiling, not the server's (docs/capacity.md).
This client does only what the harness needs:

- a pool of keep-alive connections (trio sockets, or TLS over them for ``https``), reused first
  in, first out so that every open connection (and so every worker process behind the listening
  socket) keeps getting requests; at most ``connections`` at once, a request beyond waits for one;
  :meth:`HttpClient.warm` opens them ahead of a run; one idle longer than ``max_idle_s`` is
  closed, not reused (a server closes idle connections on its own timer, and a request sent just
  as it does is lost as a transport error);
- each request pre-encoded as bytes (the request line and headers of a path are built once) and
  sent with one ``send_all``;
- the answer parsed minimally: status line, headers up to the blank line, a ``Content-Length``
  body. hypercorn (h11) gives every answer of the service a Content-Length; an answer with
  ``Transfer-Encoding`` (chunked) is not read and counts as ``bad_response``;
- pinned to the :class:`~bench.target.Target`: a path is relative to its base URL, an absolute
  URL anywhere else raises :class:`~bench.target.ForeignHostError` before any connection is made;
  redirects are answers like any other (never followed);
- failures are outcomes of :mod:`bench.recorder` (``timeout``, ``connect_error``,
  ``transport_error``, ``bad_response``), not exceptions; cancellation propagates, and a
  connection a request was cut off on is closed, never reused.

The timeout covers the whole request: waiting for a free connection, connecting, sending and the
whole answer (as httpx's single timeout did for each of those phases).
"""
from __future__ import annotations

import ssl
from collections import deque
from dataclasses import dataclass

import trio

from bench.recorder import CONNECT_ERROR, PROTOCOL_ERROR, TIMEOUT, TRANSPORT_ERROR
from bench.target import Target

RECEIVE_BYTES = 65536
# Reuse an idle connection only well inside the server's keep-alive timer: the service closes
# after 75 s idle (api.serve.KEEP_ALIVE_S), and a request that meets the close is lost. A pool used
# in turn leaves each connection idle for pool size / rate (256 connections at 4/s: 64 s).
MAX_IDLE_S = 60.0
MAX_HEAD_BYTES = 64 * 1024  # an answer's status line and headers; beyond that it is not an HTTP answer


class _Broken(Exception):
    """The connection ended or was unusable mid-request (a transport error)."""


class _BadAnswer(Exception):
    """The bytes received are not an answer this client reads (a protocol error)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What one request came to.

    Attributes:
        outcome: the status code as text (``"200"``, ``"503"``...) or a failure of
            :mod:`bench.recorder` (``timeout``, ``connect_error``, ``transport_error``, ``bad_response``).
        body: the answer's body (``b""`` on a failure).
        end: trio time when the answer was complete or the failure known.
    """

    outcome: str
    body: bytes
    end: float

    @property
    def status(self) -> int | None:
        """The HTTP status code, or None when there was no answer."""
        return int(self.outcome) if self.outcome.isdigit() else None


class _Connection:
    """One keep-alive connection; ``exchange`` sends a request and reads its answer."""

    __slots__ = ("stream", "buf", "uses", "idle_since")

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.buf = b""  # bytes received beyond the last answer (none, from a well-behaved server)
        self.uses = 0
        self.idle_since = trio.current_time()  # a server's idle timer runs from the connection's opening

    def alive(self) -> bool:
        """False when the server closed the idle plain-TCP connection (its socket reads as ready:
        EOF; nothing else is due on an idle HTTP/1.1 connection). Over TLS, records may arrive
        unasked (TLS 1.3 session tickets), so there a closed connection shows as a transport error."""
        return not isinstance(self.stream, trio.SocketStream) or not self.stream.socket.is_readable()

    async def _more(self) -> None:
        try:
            chunk = await self.stream.receive_some(RECEIVE_BYTES)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise _Broken(type(exc).__name__) from exc
        if not chunk:
            raise _Broken("server closed the connection")
        self.buf += chunk

    async def exchange(self, raw: bytes) -> tuple[int, bytes, bool]:
        """Send ``raw`` and read one answer: (status, body, whether the connection may be reused)."""
        self.uses += 1
        try:
            await self.stream.send_all(raw)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise _Broken(type(exc).__name__) from exc
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            if len(self.buf) > MAX_HEAD_BYTES:
                raise _BadAnswer("no end of headers")
            await self._more()
        head, rest = self.buf[:end], self.buf[end + 4:]
        lines = head.split(b"\r\n")
        status_line = lines[0]
        if not status_line.startswith(b"HTTP/1.") or len(status_line) < 12 or not status_line[9:12].isdigit():
            raise _BadAnswer(f"status line {status_line[:40]!r}")
        status, length, keep = int(status_line[9:12]), 0, status_line.startswith(b"HTTP/1.1")
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                if not value.strip().isdigit():
                    raise _BadAnswer(f"Content-Length {value!r}")
                length = int(value)
            elif name == b"connection":
                token = value.strip().lower()
                keep = token == b"keep-alive" if not keep else token != b"close"
            elif name == b"transfer-encoding":
                raise _BadAnswer("a Transfer-Encoding body (the service's answers carry Content-Length)")
        self.buf = rest
        while len(self.buf) < length:
            await self._more()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, body, keep


class HttpClient:
    """Keep-alive HTTP/1.1 client pinned to one target (see the module's docstring).

    Args:
        target: the only destination allowed.
        api_key: sent as ``Authorization: Bearer`` on every request.
        connections: most connections open (and requests in flight) at once.
        timeout_s: per request, from asking for a connection to the last byte of the answer.
        content_type: of the request bodies.
        max_idle_s: an idle connection older than this is closed instead of reused; keep it
            below the server's keep-alive timeout (:data:`MAX_IDLE_S` is below the service's).

    Use as an async context manager (closes every connection on exit), or call :meth:`aclose`.
    """

    def __init__(self, target: Target, api_key: str, *, connections: int, timeout_s: float,
                 content_type: str = "application/json", max_idle_s: float = MAX_IDLE_S) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        self.target = target
        self.connections = connections
        self.timeout_s = timeout_s
        self.max_idle_s = max_idle_s
        self.opened = 0  # connections opened over the client's life (keep-alive reuse shows as few)
        self._idle: deque[_Connection] = deque()
        self._slots = trio.Semaphore(connections)
        host = f"[{target.host}]" if ":" in target.host else target.host
        self._headers = (f"Host: {host}:{target.port}\r\nAuthorization: Bearer {api_key}\r\n"
                         f"Content-Type: {content_type}\r\nContent-Length: ")
        self._heads: dict[tuple[str, str], bytes] = {}
        self._ssl = ssl.create_default_context() if target.scheme == "https" else None

    async def __aenter__(self) -> "HttpClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every idle connection (in-use ones are closed by their requests when they end)."""
        while self._idle:
            await trio.aclose_forcefully(self._idle.popleft().stream)

    async def warm(self, n: int) -> int:
        """Open connections (at once) until ``n`` are idle in the pool (at most the pool's size).

        Behind one port, worker processes take connections as they accept them, and requests go
        where their connection is: a few connections may all land on one worker. Many warm
        connections, used in turn, spread the load as a fleet of lanes does. A connection that
        cannot be opened is skipped (the requests will report it). Returns how many are idle.
        """
        async def one() -> None:
            async with self._slots:
                try:
                    self._idle.append(await self._connect())
                except OSError:
                    pass

        with trio.move_on_after(self.timeout_s):
            async with trio.open_nursery() as nursery:
                for _ in range(min(n, self.connections) - len(self._idle)):
                    nursery.start_soon(one)
        return len(self._idle)

    def _head(self, method: str, path: str) -> bytes:
        """The request line and headers up to ``Content-Length: `` for ``path``, built once."""
        key = (method, path)
        head = self._heads.get(key)
        if head is None:
            head = self._heads[key] = f"{method} {self._path(path)} HTTP/1.1\r\n{self._headers}".encode()
        return head

    def _path(self, path: str) -> str:
        """The request target of ``path`` (relative to the base URL, or an absolute URL of the target)."""
        if path.startswith("/") and not path.startswith("//"):  # "//host/..." names a host: checked below
            return self.target.prefix + path
        return self.target.path_of(path)  # raises ForeignHostError for any other destination

    async def _connect(self) -> _Connection:
        if self._ssl is None:
            stream: trio.abc.Stream = await trio.open_tcp_stream(self.target.host, self.target.port)
        else:
            stream = await trio.open_ssl_over_tcp_stream(self.target.host, self.target.port,
                                                         ssl_context=self._ssl, https_compatible=True)
        self.opened += 1
        return _Connection(stream)

    async def _checkout(self) -> _Connection | None:
        """An idle live connection not idle too long, or None (the caller opens one)."""
        oldest = trio.current_time() - self.max_idle_s
        while self._idle:
            conn = self._idle.popleft()
            if conn.idle_since >= oldest and conn.alive():
                return conn
            await trio.aclose_forcefully(conn.stream)
        return None

    async def request(self, method: str, path: str, body: bytes = b"") -> Reply:
        """Send one request and read its answer; see :class:`Reply` for what comes back.

        Raises:
            ForeignHostError: ``path`` is an absolute URL of another scheme, host or port
                (before any connection is made).
        """
        raw = self._head(method, path) + str(len(body)).encode() + b"\r\n\r\n" + body
        outcome, answer, conn = TIMEOUT, b"", None
        with trio.move_on_after(self.timeout_s):
            async with self._slots:
                conn = await self._checkout()
                if conn is None:
                    try:
                        conn = await self._connect()
                    except OSError:
                        return Reply(CONNECT_ERROR, b"", trio.current_time())
                try:
                    status, answer, keep = await conn.exchange(raw)
                except _Broken:
                    outcome = TRANSPORT_ERROR
                except _BadAnswer:
                    outcome = PROTOCOL_ERROR
                except BaseException:  # cancelled mid-answer: the connection's state is unknown
                    await trio.aclose_forcefully(conn.stream)
                    raise
                else:
                    if keep:
                        conn.idle_since = trio.current_time()
                        self._idle.append(conn)
                    else:  # "Connection: close" (hypercorn says it after keep_alive_max_requests)
                        await trio.aclose_forcefully(conn.stream)
                    return Reply(str(status), answer, trio.current_time())
                await trio.aclose_forcefully(conn.stream)
                return Reply(outcome, b"", trio.current_time())
        # timed out: waiting for a connection, connecting, or mid-exchange
        if conn is not None:
            await trio.aclose_forcefully(conn.stream)
        return Reply(TIMEOUT, b"", trio.current_time())

    async def post(self, path: str, body: bytes) -> Reply:
        """``POST path`` with ``body`` (pre-encoded JSON)."""
        return await self.request("POST", path, body)

    async def get(self, path: str) -> Reply:
        """``GET path``."""
        return await self.request("GET", path)
