"""One Redis connection driven by trio: a pipeline is written and read on the event loop.

redis-py's clients block (or need asyncio). Handing each pipeline to a worker thread cost more
than the pipeline: a thread wake-up, a trio wake-up and GIL hand-offs with the event loop, twice
per evaluate (see docs/store.md). The link moves bytes only: hiredis packs the commands and
parses the replies (RESP2) in C; which Python shape a reply takes is redis-py's business (the
store core applies its reply callbacks).

A link is owned by one task at a time. After any failure or cancellation in the middle of a
pipeline its reply stream is out of step with its commands, so the owner closes it and opens a
new one.

A plain (TCP or Unix) connection is written and read on its socket's file descriptor, waiting
only when the kernel says so: trio's SocketStream added a scheduler round trip after each call
that did not wait and its own bookkeeping, ~20 µs of CPU per pipeline, i.e. per evaluate (its
counter call). A TLS connection goes through its SSLStream.
"""
from __future__ import annotations

import os
import select
import ssl
from collections.abc import Callable, Sequence
from typing import Any

import hiredis
import redis
import trio
from redis._parsers.base import BaseParser
from redis.connection import parse_url

READ_SIZE = 65536


class _ErrorReply(Exception):
    """hiredis's stand-in for an error reply; turned into redis-py's exception classes."""


async def _send_all(fd: int, payload: bytes) -> None:
    """Write ``payload`` to a plain socket, waiting only while the kernel's buffer is full."""
    out = memoryview(payload)
    while out:
        try:
            out = out[os.write(fd, out):]
        except BlockingIOError:
            await trio.lowlevel.wait_writable(fd)


async def _receive(fd: int) -> bytes:
    """What a plain socket holds (b"": closed by the peer), waiting only when it holds nothing."""
    while True:
        try:
            return os.read(fd, READ_SIZE)
        except BlockingIOError:
            await trio.lowlevel.wait_readable(fd)


class RedisLink:
    """A connected RESP2 stream. Build with :meth:`connect`."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self._stream = stream
        self._reader = hiredis.Reader(encoding="utf-8", replyError=_ErrorReply)
        tls = isinstance(stream, trio.SSLStream)
        sock = stream.transport_stream.socket if tls else stream.socket
        self._fd: int | None = None if tls else sock.fileno()  # plain: read and written here
        self._poll = select.poll()
        self._poll.register(sock.fileno(), select.POLLIN)

    def stale(self) -> bool:
        """True if the idle connection has something to read: the server closed it (restart,
        timeout, CLIENT KILL) or it is out of step. Either way it must not carry a pipeline:
        redis-py's pool makes the same check before lending a connection."""
        return bool(self._poll.poll(0))

    @classmethod
    async def connect(cls, url: str, timeout_s: float) -> "RedisLink":
        """Open a connection to ``url`` (redis://, rediss://, unix://), authenticate, select the db.

        Raises:
            redis.ConnectionError: unreachable, refused, or the handshake failed.
            redis.TimeoutError: no connection within ``timeout_s``.
            redis.ResponseError: AUTH or SELECT refused.
        """
        opts = parse_url(url)
        with trio.move_on_after(timeout_s) as scope:
            try:
                if "path" in opts:
                    stream: trio.abc.Stream = await trio.open_unix_socket(opts["path"])
                else:
                    stream = await trio.open_tcp_stream(opts.get("host", "localhost"), opts.get("port", 6379))
                    if opts.get("connection_class") is redis.SSLConnection:
                        stream = trio.SSLStream(stream, ssl.create_default_context(),
                                                server_hostname=opts.get("host"))
                        await stream.do_handshake()
            except (OSError, trio.BrokenResourceError) as exc:
                raise redis.ConnectionError(f"cannot connect to Redis: {exc}") from exc
        if scope.cancelled_caught:
            raise redis.TimeoutError(f"no connection to Redis within {timeout_s}s")
        link = cls(stream)
        hello: list[tuple] = []
        if opts.get("password"):
            user = opts.get("username")
            hello.append(("AUTH", user, opts["password"]) if user else ("AUTH", opts["password"]))
        if opts.get("db"):
            hello.append(("SELECT", opts["db"]))
        if hello:
            try:
                for reply in await link.pipeline(hello, timeout_s):
                    if isinstance(reply, Exception):
                        raise reply
            except BaseException:
                await link.aclose()
                raise
        return link

    async def pipeline(self, commands: Sequence[tuple], timeout_s: float,
                       each: Callable[[int, Any], None] | None = None) -> list[Any]:
        """Send every command at once, then read one reply per command, in order.

        Error replies come back as redis-py exceptions (``ResponseError``, ``NoScriptError``,
        ...) in their slot; they do not raise. ``each(i, reply)``, if given, sees every reply as
        soon as it is parsed: Redis answers a long pipeline in chunks, and whoever waits on the
        first replies can run while the rest are still computed.

        Raises:
            redis.ConnectionError: the connection broke (the link is then unusable).
            redis.TimeoutError: the replies did not all arrive within ``timeout_s`` (ditto).
        """
        if not commands:
            return []
        payload = b"".join([hiredis.pack_command(c) for c in commands])
        replies: list[Any] = []
        n = len(commands)
        with trio.move_on_after(timeout_s) as scope:
            try:
                fd = self._fd
                await (_send_all(fd, payload) if fd is not None else self._stream.send_all(payload))
                reader = self._reader
                while True:
                    reply = reader.gets()
                    while reply is not False:
                        if isinstance(reply, _ErrorReply):
                            reply = BaseParser.parse_error(str(reply))
                        if each is not None:
                            each(len(replies), reply)
                        replies.append(reply)
                        if len(replies) == n:
                            return replies
                        reply = reader.gets()
                    data = await (_receive(fd) if fd is not None else self._stream.receive_some(READ_SIZE))
                    if not data:
                        raise redis.ConnectionError("Redis closed the connection")
                    reader.feed(data)
            except (OSError, trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                raise redis.ConnectionError(f"Redis connection lost: {exc}") from exc
            except hiredis.ProtocolError as exc:
                raise redis.ConnectionError(f"Redis protocol error: {exc}") from exc
        assert scope.cancelled_caught
        raise redis.TimeoutError(f"Redis did not answer within {timeout_s}s")

    async def broadcast(self, commands: Sequence[tuple], timeout_s: float) -> list[list[Any]]:
        """Run ``commands`` on every master: here the one server (see ClusterLink.broadcast)."""
        return [await self.pipeline(commands, timeout_s)]

    async def aclose(self) -> None:
        """Close the connection at once (never waits on the peer)."""
        await trio.aclose_forcefully(self._stream)
