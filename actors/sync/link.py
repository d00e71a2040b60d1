"""A local instance's link to central: JSON over HTTP (the central service's own admin routes,
with an admin key of the store's tenant) behind a circuit breaker.

Central away (refused, reset, timed out, a 5xx, or a key central no longer takes) counts as a
failure: after FAILURE_THRESHOLD in a row the breaker opens and calls fail at once with 503
CENTRAL_UNAVAILABLE for COOLDOWN_S, then one call probes. A 4xx that judges the request itself
(400, 404, 409, 422) is an answer: the link is fine, the caller gets :class:`CentralRefused`.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson

from actors.breaker import CircuitBreaker
from dre.errors import DREError, Issue

log = logging.getLogger("dre.central")

FAILURE_THRESHOLD = 2  # consecutive failed calls before the breaker opens
COOLDOWN_S = 1.0  # calls fail fast this long before one probe goes through
REQUEST_TIMEOUT_S = 5.0  # a slower answer counts as central away (the lanes never wait on it)
UNAVAILABLE = "CENTRAL_UNAVAILABLE"
LINK_DOWN = (401, 403, 407, 408, 429)  # answers about the link (key, proxy, rate), not the request


class CentralRefused(Exception):
    """Central answered and refused the request (4xx): ``status`` and its error ``body``."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"central refused: HTTP {status}")
        self.status = status
        self.body = body


def central_error(status: int, body: Any) -> DREError:
    """Central's error answer (the contract's shape: ``{"error": {code, message, details}}``) as
    the DREError it was raised from, to be answered as central gave it."""
    try:
        err = body["error"]
        details = [Issue(str(d.get("path", "")), str(d.get("issue", ""))) for d in err.get("details") or ()]
        return DREError(status, str(err["code"]), str(err.get("message", "")), details)
    except (KeyError, TypeError, AttributeError):
        return DREError(status, "CENTRAL_REFUSED", f"central answered HTTP {status}")


def central_unavailable(message: str) -> DREError:
    return DREError(503, UNAVAILABLE, message)


class CentralLink:
    """Calls to central. Safe to share between tasks; holds the HTTP client :func:`open_central_link` owns."""

    def __init__(self, client: httpx.AsyncClient, breaker: CircuitBreaker | None = None) -> None:
        self._client = client
        self.breaker = breaker or CircuitBreaker(FAILURE_THRESHOLD, COOLDOWN_S)
        self._key_refused = False  # central refuses DRE_CENTRAL_KEY: said once, until it takes it

    @property
    def state(self) -> str:
        """closed / open / half_open."""
        return self.breaker.state.value

    @property
    def connected(self) -> bool:
        """Central answered the last call (and has answered at least once)."""
        return self.state == "closed" and self.breaker.last_ok is not None

    async def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self._call("GET", path, params=params)

    async def post(self, path: str, body: Any, *, timeout_s: float | None = None) -> Any:
        """The answer's JSON; ``timeout_s``: this call's own limit (slower counts as central away).
        Raises DREError 503 CENTRAL_UNAVAILABLE, or CentralRefused."""
        extra = {} if timeout_s is None else {"timeout": timeout_s}
        return await self._call("POST", path, content=orjson.dumps(body),
                                headers={"Content-Type": "application/json"}, **extra)

    async def relay(self, path: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST ``content`` as it is (a POS request passed on) and return central's answer as it
        is, a 4xx included (central judged the request). Raises DREError 503 CENTRAL_UNAVAILABLE."""
        return await self._request("POST", path, content=content, headers=headers)

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON. Raises DREError 503 CENTRAL_UNAVAILABLE, or CentralRefused."""
        r = await self._request(method, path, **kwargs)
        body = orjson.loads(r.content) if r.content else None
        if r.status_code >= 400:
            raise CentralRefused(r.status_code, body)
        return body

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Central's answer, through the breaker. Raises DREError 503 CENTRAL_UNAVAILABLE."""
        try:
            probe = self.breaker.admit()
        except DREError:
            raise central_unavailable(f"central unavailable (circuit {self.state}): {self.breaker.last_error}") \
                from None
        try:
            r = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.breaker.record_failure(exc)
            raise central_unavailable(f"central unavailable: {type(exc).__name__}: {exc}") from None
        except BaseException:
            if probe:
                self.breaker.probe_abandoned()
            raise
        if r.status_code >= 500 or r.status_code in LINK_DOWN:
            self.breaker.record_failure(RuntimeError(f"HTTP {r.status_code} from {method} {path}"))
            if r.status_code in (401, 403) and not self._key_refused:
                self._key_refused = True  # an operator's mistake, not an outage: say so once
                log.warning("central refuses DRE_CENTRAL_KEY (it must be an admin key of the store's tenant)",
                            extra={"status": r.status_code})
            raise central_unavailable(f"central answered HTTP {r.status_code}")
        self._key_refused = False
        self.breaker.record_success()
        return r


@asynccontextmanager
async def open_central_link(url: str, key: str, *, timeout_s: float = REQUEST_TIMEOUT_S) -> AsyncIterator[CentralLink]:
    """A link to central at ``url`` with admin key ``key``, for the block (its connections are
    closed on exit)."""
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"},
                                 timeout=timeout_s) as client:
        yield CentralLink(client)
