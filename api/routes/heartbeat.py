"""GET /pos/heartbeat: liveness plus the state of the store link, for the caller's tenant."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import trio
from quart import Blueprint, Response, g
from quart_schema import document_response

from actors import implementation_name
from api.http.errors import json_response
from api.http.openapi import AUTH_ERRORS, errors
from api.schemas.heartbeat import Heartbeat
from api.services import current_services
from dre.errors import DREError

bp = Blueprint("pos_heartbeat", __name__)

PROBE_TIMEOUT_S = 0.5  # the heartbeat answers quickly even when Redis hangs


@bp.get("/pos/heartbeat")
@document_response(Heartbeat, 200)
@errors(*AUTH_ERRORS)
async def heartbeat() -> Response:
    """Service status. Also a store probe: it asks Redis for the tenant's pending jobs."""
    s = current_services()
    pending = None
    if s.store is not None:
        with trio.move_on_after(PROBE_TIMEOUT_S):
            try:
                pending = await s.store.job_queue_length(g.tenant)
            except DREError:
                pending = None
    breaker = s.store.breaker.state.value if s.store else "none"
    connected = s.store is not None and breaker == "closed" and pending is not None
    last_ok = s.store.breaker.last_ok if s.store else None
    pset = s.engine.current(g.tenant)
    return json_response({
        "status": "UP" if connected else "DEGRADED",
        "version": s.version,
        "mode": "ONLINE" if connected else "OFFLINE",
        "btpConnectivity": "CONNECTED" if connected else "DISCONNECTED",
        "lastSync": datetime.fromtimestamp(last_ok, timezone.utc).isoformat() if last_ok else None,
        "pendingTransactions": pending,
        "promotionsLoaded": len(pset.ranked),
        "promotionsVersion": pset.version,
        "uptime": round(time.monotonic() - s.started_monotonic, 3),
        "circuitBreaker": breaker,
        "engine": implementation_name(),
    })
