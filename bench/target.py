"""The one place the harness may send traffic to.

The harness only ever builds paths relative to the base URL; as a second line of defence its
client (:mod:`bench.http_client`) refuses, before any connection is made, a request to another
scheme, host or port, and never follows redirects.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

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
        u = urlsplit(url)
        scheme = u.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError(f"--url must be http:// or https://, got {url!r}")
        if not u.hostname:
            raise ValueError(f"--url has no host: {url!r}")
        if u.username is not None or u.password is not None:
            raise ValueError("--url must not carry credentials; use --api-key")
        if u.query or u.fragment or url.rstrip().endswith(("?", "#")):
            raise ValueError("--url must not carry a query or fragment")
        port = u.port  # ValueError for a port that is not a number in 0-65535
        return cls(scheme, u.hostname, port or DEFAULT_PORTS[scheme], u.path.rstrip("/"))

    @property
    def base_url(self) -> str:
        """The base URL in canonical form."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.prefix}"

    def owns(self, url: str) -> bool:
        """Whether the absolute ``url`` points at this target (same scheme, host and port)."""
        try:
            u = urlsplit(url)
            port = u.port or DEFAULT_PORTS.get(u.scheme.lower())
        except ValueError:
            return False
        return u.scheme.lower() == self.scheme and u.hostname == self.host and port == self.port

    def path_of(self, url: str) -> str:
        """The request target (path and query) of the absolute ``url``.

        Raises:
            ForeignHostError: ``url`` is not this target's (before anything is sent).
        """
        if not self.owns(url):
            raise ForeignHostError(f"refusing to send to {url!r}: only {self.base_url} is allowed")
        u = urlsplit(url)
        return (u.path or "/") + (f"?{u.query}" if u.query else "")
