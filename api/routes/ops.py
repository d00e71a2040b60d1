"""Operational routes: GET /metrics (Prometheus) and, for benchmarks only, POST /bench/echo."""
from __future__ import annotations

import os

from quart import Blueprint, Response, request
from quart_schema import hide

from api.http.metrics import CONTENT_TYPE
from api.http.openapi import AUTH_ERRORS, errors, raw_response
from api.services import current_services

bp = Blueprint("ops", __name__)

ECHO_ENV = "DRE_BENCH_ECHO"  # set to a byte count to mount /bench/echo answering that many bytes


@bp.get("/metrics")
@errors(*AUTH_ERRORS)
@raw_response(200, "text/plain", "Prometheus text exposition format 0.0.4")
async def metrics() -> Response:
    """Prometheus text format: requests and latency per route, actor mailbox depths, batch sizes."""
    return Response(current_services().metrics.render(), content_type=CONTENT_TYPE)


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
