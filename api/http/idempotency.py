"""``Idempotency-Key`` on every POST route, once for the whole app (before/after-request hooks).

The first request with a key claims it in the store (``store.idempotency.claim``), runs, and its
answer (status, content type and body) is kept for 24 h (``store.idempotency.put``) under (tenant,
route, key). Then:

* same key, same body (method, path and bytes): the first answer again, with
  ``Idempotent-Replayed: true``; nothing runs, nothing changes;
* same key, another body: 422 IDEMPOTENCY_KEY_REUSED (the request cannot be processed as sent:
  the key names another request; nothing is stored or changed);
* a duplicate while the first is still running: 409 IN_PROGRESS (retry shortly);
* the first answer was a 5xx: the answer is not kept, so a retry runs (503 means "try again");
  4xx answers are kept (the same request fails the same way). When nothing was done the claim is
  dropped. When a store reply was lost (its call timed out, or the connection broke with the
  command sent) the first attempt may have changed something: the claim is kept as UNKNOWN, only
  a retry with the same body may take it over, and every store script the request runs is
  journaled (actors/operation.py), so the retry meets the first attempt's outcome of each call
  and answers it - a confirm, a reserve, generated codes are never made twice.

While the store is unreachable a key cannot be honoured: writing routes answer 503 (as they would
anyway), while evaluate and simulate, which keep pricing without the store, run without
idempotency. A claim lapses :func:`in_flight_s` after it was made when its request never gives
it up (cancelled mid-way, or its own store calls lost): 3 store deadlines, at least 5 s - a
retry waits no longer than that (409 IN_PROGRESS meanwhile), and a request still running then may
overlap with its retry without harm, since both meet the same journaled store replies.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Protocol

import orjson
from quart import Quart, Response, g, request

from actors import operation
from actors.store import Store
from dre.config import Config
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
    config: Config


def fingerprint(method: str, full_path: str, body: bytes) -> str:
    """What makes two requests "the same" for a key: method, path with query, body bytes."""
    h = hashlib.sha256()
    h.update(f"{method} {full_path}\n".encode())
    h.update(body)
    return h.hexdigest()


def in_flight_s(config: Config) -> float:
    """How long a claim holds without an answer (see the module docstring)."""
    return max(5.0, 3 * config.store_deadline_ms / 1000)


def _check_key(key: str) -> None:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise invalid(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
                      [Issue(f"headers.{HEADER}", "malformed")])


def _replay(status: int, stored: str) -> Response:
    env = orjson.loads(stored)
    return Response(env["body"], status=status, mimetype=env["contentType"], headers={REPLAYED: "true"})


def install_idempotency(app: Quart, services: HasStore, streamed: frozenset[str] = frozenset()) -> None:
    """Register the hooks. Call after the authentication hook: the tenant must be known.

    ``streamed``: paths whose body the route streams (the batch import, hundreds of MB): their
    fingerprint is the method, path and declared length only, so that a retry with another body
    of the same length would replay the first answer - send a new key with a new import.
    """

    @app.before_request
    async def _claim() -> Response | None:
        g.idempotency = None
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or request.url_rule is None or getattr(g, "tenant", None) is None:
            return None
        try:
            _check_key(key)
            scope = request.url_rule.rule
            if request.path in streamed:  # the body is read once, by the route, as it streams
                print_ = fingerprint(request.method, request.full_path, f"length={request.content_length}".encode())
            else:
                print_ = fingerprint(request.method, request.full_path, await request.get_data())
            claim = await services.store.idempotency.claim(g.tenant, scope, key, print_,
                                                           in_flight_s(services.config))
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
        op, token = operation.begin(g.tenant, scope, key, print_)
        g.idempotency = (g.tenant, scope, key, claim.owner, op, token)
        return None

    @app.after_request
    async def _keep(response: Response) -> Response:
        claimed = getattr(g, "idempotency", None)
        if claimed is None:
            return response
        tenant, scope, key, owner, op, token = claimed
        g.idempotency = None
        operation.end(token)  # the hooks' own store calls are not part of it
        try:
            if response.status_code >= 500:
                await services.store.idempotency.release(tenant, scope, key, owner, op.outcome_unknown)
            else:
                body = (await response.get_data()).decode()
                envelope = orjson.dumps({"contentType": response.mimetype, "body": body}).decode()
                if await services.store.idempotency.put(tenant, scope, key, owner, response.status_code, envelope):
                    await services.store.idempotency.forget_journal(op.journal_keys)  # the answer replays now
        except DREError as err:  # the claim lapses by itself; the answer itself still goes out
            log.warning("idempotency answer not kept", extra={"key": key, "error": err.message})
        return response
