"""Operational routes: GET /pos/heartbeat (liveness plus the state of the store link, for the
caller's tenant), GET /metrics (Prometheus; a POS key sees its own tenant's series only) and, for
benchmarks only, POST /bench/echo."""
from __future__ import annotations

import os
import time

import trio
from quart import Blueprint, Response, g, request
from quart_schema import document_response, hide

from actors import implementation_name
from actors.kernel_warmup import status as kernel_status
from api.http.errors import json_response
from api.http.metrics import CONTENT_TYPE
from api.http.openapi import AUTH_ERRORS, errors, raw_response
from api.ops.schemas import Heartbeat
from api.services import current_services
from dre.clock import iso_utc
from dre.config import ADMIN
from dre.errors import DREError

bp = Blueprint("ops", __name__)

PROBE_TIMEOUT_S = 0.5  # the heartbeat answers quickly even when Redis hangs
ECHO_ENV = "DRE_BENCH_ECHO"  # set to a byte count to mount /bench/echo answering that many bytes


@bp.get("/pos/heartbeat")
@document_response(Heartbeat, 200)
@errors(*AUTH_ERRORS)
async def heartbeat() -> Response:
    """Service status. Also a store probe: it asks Redis for the tenant's pending jobs."""
    s = current_services()
    pending = None
    with trio.move_on_after(PROBE_TIMEOUT_S):
        try:
            pending = await s.store.jobs.queue_length(g.tenant)
        except DREError:  # unreachable, or no store at all
            pending = None
    breaker = s.store.circuit or "none"
    connected = breaker == "closed" and pending is not None
    last_ok = s.store.last_ok
    pset = s.engine.current(g.tenant)
    answer = {
        "status": "UP" if connected else "DEGRADED",
        "version": s.version,
        "mode": "ONLINE" if connected else "OFFLINE",
        "btpConnectivity": "CONNECTED" if connected else "DISCONNECTED",
        "lastSync": iso_utc(last_ok) if last_ok else None,
        "pendingTransactions": pending,
        "promotionsLoaded": len(pset.ranked),
        "promotionsVersion": pset.version,
        "uptime": round(time.monotonic() - s.started_monotonic, 3),
        "circuitBreaker": breaker,
        "engine": implementation_name(),
        "pricingPath": s.engine.pricing_path(g.tenant),
        "kernels": kernel_status.state,
        "instance": "LOCAL" if s.config.local else "CENTRAL",
        "backgroundErrors": {name: {"count": f.count, "lastError": f.last_error, "lastErrorAt": iso_utc(f.last_at)}
                             for name, f in sorted(s.store.faults.by_actor.items())},
    }
    if s.local is not None:  # a store's instance: the link to central, not to its own store
        answer.update(await s.local.heartbeat(PROBE_TIMEOUT_S), storeCircuitBreaker=breaker)
    return json_response(answer)


@bp.get("/metrics")
@errors(*AUTH_ERRORS)
@raw_response(200, "text/plain", "Prometheus text exposition format 0.0.4")
async def metrics() -> Response:
    """Prometheus text format: requests and latency per route and tenant, actor mailbox depths,
    batch sizes. An admin key sees every tenant's series; a POS key only its own tenant's and the
    process-wide ones (mailboxes, restarts, batch sizes, the store breaker)."""
    tenant = None if g.role == ADMIN else g.tenant
    return Response(current_services().metrics.render(tenant), content_type=CONTENT_TYPE)


def echo_blueprint() -> Blueprint | None:
    """``/bench/echo`` when DRE_BENCH_ECHO is set: the HTTP stack without pricing (benchmark baseline).

    It reads the body and answers a fixed JSON payload of DRE_BENCH_ECHO bytes, through the same
    hooks (auth, limits, logging, metrics) as the POS routes.
    """
    size = os.environ.get(ECHO_ENV)
    if not size:
        return None
    payload = b'{"echo":"' + b"x" * max(0, int(size) - 11) + b'"}'
    echo_bp = Blueprint("bench", __name__)

    @echo_bp.post("/bench/echo")
    @hide
    async def echo() -> Response:
        await request.get_data()
        return Response(payload, mimetype="application/json")

    return echo_bp
