"""``Idempotency-Key`` on every POST route, once for the whole app (before/after-request hooks).

The first request with a key claims it in the store (``store.idempotency.claim``), runs, and its
answer (status, content type and body) is kept for 24 h (``store.idempotency.put``) under (tenant,
route, key). Then:

* same key, same body (method, path and bytes): the first answer again, with
  ``Idempotent-Replayed: true``; nothing runs, nothing changes;
* same key, another body: 422 IDEMPOTENCY_KEY_REUSED (the request cannot be processed as sent:
  the key names another request; nothing is stored or changed);
* a duplicate while the first is still running: 409 IN_PROGRESS (retry shortly);
* the first answer was a 5xx: the claim is released and not kept, so a retry runs afresh (503
  means "nothing was done, try again"); 4xx answers are kept (the same request fails the same way).

While the store is unreachable a key cannot be honoured: writing routes answer 503 (as they would
anyway), while evaluate and simulate, which keep pricing without the store, run without
idempotency. A request cancelled mid-way (client gone) leaves its claim to lapse after 60 s.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Protocol

import orjson
from quart import Quart, Response, g, request

from actors.store import Store
from api.http.errors import error_response
from api.http.surfaces import canonical_path
from dre.errors import DREError, Issue, invalid

log = logging.getLogger("dre.api")

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255  # keys end up in Redis key names; UUIDs and the like are far shorter
OFFLINE_ROUTES = frozenset({"/pos/v2/evaluate", "/pos/v2/simulate"})  # keep working without the store


class HasStore(Protocol):
    """What the hooks need of the worker's Services (api.services; not imported: this package
    sits below the worker's state)."""

    store: Store


def fingerprint(method: str, full_path: str, body: bytes) -> str:
    """What makes two requests "the same" for a key: method, path with query, body bytes."""
    h = hashlib.sha256()
    h.update(f"{method} {full_path}\n".encode())
    h.update(body)
    return h.hexdigest()


def _check_key(key: str) -> None:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise invalid(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
                      [Issue(f"headers.{HEADER}", "malformed")])


def _replay(status: int, stored: str) -> Response:
    env = orjson.loads(stored)
    return Response(env["body"], status=status, mimetype=env["contentType"], headers={REPLAYED: "true"})


def install_idempotency(app: Quart, services: HasStore) -> None:
    """Register the hooks. Call after the authentication hook: the tenant must be known."""

    @app.before_request
    async def _claim() -> Response | None:
        g.idempotency = None
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or request.url_rule is None or getattr(g, "tenant", None) is None:
            return None
        try:
            _check_key(key)
            scope = request.url_rule.rule
            print_ = fingerprint(request.method, request.full_path, await request.get_data())
            claim = await services.store.idempotency.claim(g.tenant, scope, key, print_)
        except DREError as err:
            rest = canonical_path(app, request.url_rule, request.url_rule.rule)  # an OData alias: its REST route
            if err.status == 503 and rest in OFFLINE_ROUTES:
                return None  # priced without the store, so without idempotency too
            return error_response(err)
        if claim.state == "DONE":
            return _replay(claim.status or 200, claim.body or "")
        if claim.state == "MISMATCH":
            return error_response(DREError(422, "IDEMPOTENCY_KEY_REUSED", f"this {HEADER} was used with another "
                                           "request body; use a new key for a new request",
                                           [Issue(f"headers.{HEADER}", "reused with another body")]))
        if claim.state == "IN_PROGRESS":
            return error_response(DREError(409, "IN_PROGRESS", f"a request with this {HEADER} is still running; "
                                           "retry shortly", [Issue(f"headers.{HEADER}", "in progress")]))
        g.idempotency = (g.tenant, scope, key, claim.owner)
        return None

    @app.after_request
    async def _keep(response: Response) -> Response:
        claimed = getattr(g, "idempotency", None)
        if claimed is None:
            return response
        tenant, scope, key, owner = claimed
        try:
            if response.status_code >= 500:
                await services.store.idempotency.release(tenant, scope, key, owner)
            else:
                body = (await response.get_data()).decode()
                envelope = orjson.dumps({"contentType": response.mimetype, "body": body}).decode()
                await services.store.idempotency.put(tenant, scope, key, owner, response.status_code, envelope)
        except DREError as err:  # the claim lapses by itself; the answer itself still goes out
            log.warning("idempotency answer not kept", extra={"key": key, "error": err.message})
        return response
