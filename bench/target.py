"""The one place the harness may send traffic to, and an HTTP client that cannot leave it.

The harness only ever builds paths relative to the base URL; as a second line of defence the
client refuses (before any connection is made) a request to another scheme, host or port, and
never follows redirects.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}


class ForeignHostError(RuntimeError):
    """A request was about to go somewhere other than the configured target."""


@dataclass(frozen=True)
class Target:
    """A validated DRE base URL.

    Attributes:
        scheme, host, port: where every request goes.
        prefix: path prefix of the service (``""`` when mounted at the root).
    """

    scheme: str
    host: str
    port: int
    prefix: str

    @classmethod
    def parse(cls, url: str) -> "Target":
        """Validate ``url``: http(s), a host, no credentials, no query or fragment.

        Raises:
            ValueError: naming what is wrong.
        """
        u = httpx.URL(url)
        if u.scheme not in DEFAULT_PORTS:
            raise ValueError(f"--url must be http:// or https://, got {url!r}")
        if not u.host:
            raise ValueError(f"--url has no host: {url!r}")
        if u.userinfo:
            raise ValueError("--url must not carry credentials; use --api-key")
        if u.query or u.fragment:
            raise ValueError("--url must not carry a query or fragment")
        return cls(u.scheme, u.host, u.port or DEFAULT_PORTS[u.scheme], u.path.rstrip("/"))

    @property
    def base_url(self) -> str:
        """The base URL in canonical form."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.prefix}"

    def owns(self, url: httpx.URL) -> bool:
        """Whether ``url`` points at this target (same scheme, host and port)."""
        port = url.port or DEFAULT_PORTS.get(url.scheme)
        return url.scheme == self.scheme and url.host == self.host and port == self.port


@asynccontextmanager
async def open_client(
    target: Target, api_key: str, *, connections: int, timeout_s: float
) -> AsyncIterator[httpx.AsyncClient]:
    """An ``httpx.AsyncClient`` pinned to ``target`` (works under trio through anyio).

    Args:
        target: the only destination allowed.
        api_key: sent as ``Authorization: Bearer`` on every request.
        connections: pool size (also the keep-alive size: a load test wants warm connections).
        timeout_s: applied to connect, pool wait, write and read alike.

    Yields:
        The client; it and its pool are closed when the block exits, also on cancellation.
    """

    async def guard(request: httpx.Request) -> None:
        if not target.owns(request.url):
            raise ForeignHostError(f"refusing to send to {request.url.host}: only {target.base_url} is allowed")

    async with httpx.AsyncClient(
        base_url=target.base_url,
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,  # a redirect is reported as its status code, never followed
        trust_env=False,  # no proxies from the environment: traffic goes straight to the target
        event_hooks={"request": [guard]},
    ) as client:
        yield client
