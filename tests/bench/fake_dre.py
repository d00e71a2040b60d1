"""A tiny stand-in for DRE on 127.0.0.1: evaluate and confirm with contract-shaped answers.

Runs on the real serving stack (hypercorn's trio worker + quart-trio) so the harness is tested
against the same HTTP server the service uses. Evaluate bodies are validated with the project's
own wire model, so a 200 also proves the harness sends contract-valid requests.
"""
from __future__ import annotations

from collections import Counter
from functools import partial

import pydantic
import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from quart import Response, request
from quart_trio import QuartTrio

from api.serve import KEEP_ALIVE_S
from dre.wire.evaluate import EvaluateRequestBody

API_KEY = "test-key"


def _error(status: int, code: str, message: str) -> Response:
    return Response(f'{{"error": {{"code": "{code}", "message": "{message}", "details": []}}}}', status=status,
                    content_type="application/json")


class FakeDre:
    """Mutable knobs (``delay_s``, ``max_concurrency``) and what was received (``hits``...)."""

    def __init__(self) -> None:
        self.delay_s = 0.0  # every evaluate/confirm answer waits this long
        self.max_concurrency: int | None = None  # above this many concurrent requests: 503
        self.keep_alive_max_requests = 1000  # then hypercorn answers "Connection: close" (its default)
        # idle connections closed after this, as the service does (hypercorn's default is 5 s)
        self.keep_alive_timeout_s = KEEP_ALIVE_S
        self.hits: Counter = Counter()  # (route, status) -> count
        self.coupon_evaluates = 0
        self.counters: dict[str, int] = {}  # transactionId -> last issued counter
        self.confirmed: dict[str, int] = {}
        self.active = 0
        self.peak_active = 0
        self.app = self._build()

    def _build(self) -> QuartTrio:
        app = QuartTrio(__name__)

        @app.before_request
        async def auth():
            if request.headers.get("Authorization") != f"Bearer {API_KEY}":
                self.hits[(request.path, 401)] += 1
                return _error(401, "UNAUTHORIZED", "bad key")
            return None

        @app.post("/pos/v2/evaluate")
        async def evaluate():
            return await self._handle("evaluate", self._evaluate)

        @app.post("/pos/v2/confirm")
        async def confirm():
            return await self._handle("confirm", self._confirm)

        @app.post("/bench/echo")
        async def echo():
            # bench.http's baseline route: reads the body, answers at once (no delay_s)
            await request.get_data()
            self.hits[("echo", 200)] += 1
            return Response(b'{"echo":"x"}', content_type="application/json")

        @app.get("/redirect")
        async def redirect():
            # Points off-host on purpose: the harness must report it, never follow it.
            return Response("", status=302, headers={"Location": "http://203.0.113.7/pos/v2/evaluate"})

        return app

    async def _handle(self, route: str, fn) -> Response | dict:
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        try:
            if self.max_concurrency is not None and self.active > self.max_concurrency:
                status, answer = 503, _error(503, "UNAVAILABLE", "overloaded")
            else:
                if self.delay_s:
                    await trio.sleep(self.delay_s)
                status, answer = fn(await request.get_json(force=True))
            self.hits[(route, status)] += 1
            return answer
        finally:
            self.active -= 1

    def _evaluate(self, body: dict) -> tuple[int, Response | dict]:
        try:
            req = EvaluateRequestBody.model_validate(body).request
        except pydantic.ValidationError as exc:
            return 400, _error(400, "INVALID_INPUT", str(exc.errors()[0]["loc"]))
        tid = req.header.transactionId
        counter = self.counters.get(tid, 0) + 1
        self.counters[tid] = counter
        self.coupon_evaluates += bool(req.coupons)
        lines = [{"lineReference": i.lineReference, "articleNumber": i.articleNumber, "quantity": i.quantity,
                  "unitPrice": i.unitPrice, "lineGross": round(i.quantity * i.unitPrice, 2), "lineDiscount": 0,
                  "lineNet": round(i.quantity * i.unitPrice, 2), "discounts": []} for i in req.items]
        gross = round(sum(ln["lineGross"] for ln in lines), 2)
        return 200, {"meta": {"header": {"transactionId": tid, "transactionCounter": counter},
                              "isSimulation": False, "durationMs": 0.1},
                     "lineItems": lines, "grantedItems": [],
                     "totals": {"gross": gross, "discount": 0, "net": gross, "currency": "EUR"},
                     "couponResults": [{"code": c.code, "status": "NOT_APPLICABLE", "promotionIds": []}
                                       for c in req.coupons],
                     "recommendations": []}

    def _confirm(self, body: dict) -> tuple[int, Response | dict]:
        header = body["request"]["header"]
        tid, counter = header["transactionId"], header["transactionCounter"]
        if tid not in self.counters or counter > self.counters[tid]:
            return 404, _error(404, "NOT_FOUND", "unknown iteration")
        if counter != self.counters[tid] or self.confirmed.get(tid, counter) != counter:
            return 409, _error(409, "STALE_ITERATION", "not the latest")
        self.confirmed[tid] = counter
        return 200, {"transactionId": tid, "transactionCounter": counter, "status": "CONFIRMED"}

    def count(self, route: str, status: int | None = None) -> int:
        """Requests received on ``route`` (with ``status`` if given)."""
        return sum(n for (r, s), n in self.hits.items() if r == route and (status is None or s == status))

    async def serve(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Serve on a free loopback port; ``task_status.started`` gets the base URL.

        Runs until cancelled (the test's nursery fixture cancels it at teardown).
        """
        config = Config()
        config.bind = ["127.0.0.1:0"]
        config.accesslog = None
        config.errorlog = None
        config.graceful_timeout = 0.1
        config.keep_alive_max_requests = self.keep_alive_max_requests
        config.keep_alive_timeout = self.keep_alive_timeout_s
        async with trio.open_nursery() as nursery:
            binds = await nursery.start(partial(serve, self.app, config))
            task_status.started(binds[0])
