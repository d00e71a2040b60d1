"""The Quart (quart-trio) app factory: routes, auth, limits, errors, logs, metrics, OpenAPI."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import orjson
from quart import Response, g, request
from quart.json.provider import DefaultJSONProvider
from quart_schema import QuartSchema
from quart_trio import QuartTrio
from quart_trio.wrappers.request import TrioRequest
from werkzeug.exceptions import BadRequest

from api import admin, articles, central, confirm, coupons, evaluate, loyalty, odata, ops
from api.http.auth import CHALLENGE, key_for, require_role
from api.http.errors import NOT_JSON, error_response, register_error_handlers
from api.http.idempotency import install_idempotency
from api.http.limits import check_body, raise_body_limit
from api.http.logging import log_request
from api.http.openapi import Provider
from api.services import SERVICES_KEY, Services
from dre.errors import DREError

PUBLIC_PATHS = frozenset({"/openapi.json"})  # the API description holds no tenant state
REQUEST_ID = "X-Request-Id"
MAX_REQUEST_ID = 128  # longer client ids are replaced (they end up in every log line)
SEMANTICS = Path(__file__).resolve().parent.parent / "docs" / "semantics.md"

DESCRIPTION = """DRE real-time promotion engine: POS service.

Auth: `Authorization: Bearer <api-key>` on every route except this document; the key decides
the tenant and the role. A `DRE_API_KEYS` entry `tenant:key` is a POS key, `tenant:key:admin` an
admin key. Admin-only (403 FORBIDDEN with a POS key, nothing done): every `/admin/*` route
(coupon-type `generate` among them), the article imports (`/pos/articles/import` and
`/pos/articles/import-batch`), `POST /pos/coupons/issue` and `POST /pos/coupons/void`. `/metrics` shows a POS key the
series of its own tenant and the process-wide ones only.
Errors: `{"error": {"code", "message", "details": [{"path", "issue"}]}}` with 400 (invalid
input, `details` name the failing JSON paths), 401, 403, 404, 405, 413 (body over the limit,
1 MiB by default), 415 (POS routes take `application/json` only), 503 (store or engine
unavailable; retry). A bad request never returns 500 and never changes state. Every response
carries `X-Request-Id` (echoed or generated).

`Idempotency-Key` (any POST): the first answer (status and body) is kept for 24 h per tenant,
route and key; a retry with the same key and body gets it again with `Idempotent-Replayed:
true` and changes nothing; the same key with another body is 422 IDEMPOTENCY_KEY_REUSED; a
duplicate while the first still runs is 409 IN_PROGRESS. 5xx answers are not kept (retry).

Money on the wire is in major units with at most 2 decimals; quantities have at most 3
decimals, negative for returns, never 0.

OData V4: every POS action is also an unbound action under `/odata/v4/pos/` (`evaluate`,
`simulate`, `confirm`, `validateCoupon`, `reserveCoupon`, `redeemCoupon`, `cancelCoupon`,
`activateCoupon`, `issueCoupons`, `importArticles`, and `voidCoupon` where the REST route
exists; the batch import has none: its body streams on its own path): the same body, roles and answer as its REST form (REST is canonical;
an `Idempotency-Key` is kept per route, so the alias has its own). `GET /odata/v4/pos/$metadata`
is the CSDL of every action, derived from this document; `GET /odata/v4/pos/` the service
document (both need a key of any role). Errors under `/odata/v4/pos/` come in the OData shape:
`{"error": {"code", "message", "target"?, "details": [{"code", "message", "target"}]}}` (the
contract's code and message; `target` is the JSON path of the offending input). Every answer
there carries `OData-Version: 4.0`.

"""


class OrjsonProvider(DefaultJSONProvider):
    """orjson for request bodies (quart-schema reads them through ``request.get_json``)."""

    def loads(self, s: str | bytes, **kwargs: object) -> object:
        return orjson.loads(s)


class DRERequest(TrioRequest):
    """Says why a body is not JSON (Quart only does in debug mode): the client needs to know."""

    def on_json_loading_failed(self, error: Exception) -> object:
        raise BadRequest(f"{NOT_JSON}: {error}")


def _description() -> str:
    try:
        return DESCRIPTION + SEMANTICS.read_text(encoding="utf-8")
    except OSError:
        return DESCRIPTION


def create_app(services: Services) -> QuartTrio:
    """The ASGI app serving ``services`` (started by api.worker.open_services)."""
    app = QuartTrio("dre")
    app.request_class = DRERequest
    app.extensions[SERVICES_KEY] = services
    # Quart enforces this while reading a body without Content-Length (chunked): 413.
    app.config["MAX_CONTENT_LENGTH"] = services.config.max_body_bytes
    QuartSchema(
        app,
        info={"title": "DRE POS service", "version": services.version, "description": _description()},
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},  # described by Provider
        security=[{"bearer": []}],
        redoc_ui_path=None, scalar_ui_path=None, swagger_ui_path=None,  # no CDN assets
        openapi_provider_class=Provider,
    )
    app.json = OrjsonProvider(app)
    register_error_handlers(app)
    # one blueprint per feature (three for admin); this order is the OpenAPI document's path order
    for bp in (evaluate.bp, confirm.bp, coupons.bp, ops.bp, admin.promotions_bp, admin.coupon_types_bp,
               admin.stores_bp, articles.bp, loyalty.bp, central.bp):
        app.register_blueprint(bp)
    app.register_blueprint(loyalty.maintenance_bp)  # the loyalty maintenance toggle (an admin route)
    odata.install_odata(app)  # after the REST routes it aliases
    echo = ops.echo_blueprint()
    if echo is not None:
        app.register_blueprint(echo)

    @app.before_request
    async def _authenticate_and_limit() -> Response | None:
        g.started = time.perf_counter()
        rid = request.headers.get(REQUEST_ID, "")
        g.request_id = rid if 0 < len(rid) <= MAX_REQUEST_ID and rid.isprintable() else uuid.uuid4().hex
        g.tenant = g.role = None
        if request.path in PUBLIC_PATHS:
            return None
        if request.path in loyalty.SELF_AUTHENTICATING:
            return None  # Basic or Bearer, answered in the LoyaltyPOSEventResponse shape
        try:
            key = key_for(request.headers.get("Authorization"), services.config.api_keys)
        except DREError as err:
            return error_response(err, CHALLENGE)
        g.tenant, g.role = key.tenant, key.role
        # before idempotency replays, body limits and validation: a POS key learns nothing more
        require_role(key, app.view_functions.get(request.endpoint) if request.endpoint else None)
        limit = services.config.max_body_bytes
        if request.path in articles.LARGE_BODY_PATHS:
            limit = services.config.max_import_bytes  # as configured, even below max_body_bytes
            raise_body_limit(request, limit)
        if request.endpoint not in admin.BODYLESS:
            check_body(request.method, request.mimetype, request.content_length, limit)
        return None

    install_idempotency(app, services, articles.LARGE_BODY_PATHS)  # after authentication: keys are per tenant

    @app.after_request
    async def _observe(response: Response) -> Response:
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        started = getattr(g, "started", None)
        elapsed = time.perf_counter() - started if started else 0.0
        rid = getattr(g, "request_id", None) or uuid.uuid4().hex
        response.headers[REQUEST_ID] = rid
        services.metrics.observe_request(rule, request.method, response.status_code, elapsed,
                                         getattr(g, "tenant", None))
        log_request(request_id=rid, method=request.method, path=request.path, route=rule,
                    status=response.status_code, duration_ms=elapsed * 1000, tenant=getattr(g, "tenant", None))
        return response

    return app
