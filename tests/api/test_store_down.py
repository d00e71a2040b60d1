"""Redis stops and comes back, seen through HTTP: writes answer 503 fast, pricing goes on, the
heartbeat shows the open breaker, and the breaker closes by itself once Redis is back."""
from __future__ import annotations

import time

import pytest
import trio

from api.app import create_app
from api.worker import open_services
from actors.redis_server import start_redis_server
from tests.api.conftest import AUTH, make_config, post
from tests.api.flows import item, request

FAST_FAIL_S = 1.0  # a write must fail at least this fast while the store is down
COFFEE = request("T1", [item("1", "A100", 2, 4.99, "COFFEE")])  # P1 of the example rules: 1.00 off


@pytest.fixture
def private_redis(tmp_path):
    server = start_redis_server(tmp_path / "redis", persist=False)
    yield server
    server.stop()


async def test_writes_503_pricing_goes_on_breaker_closes_by_itself(private_redis, tmp_path):
    async with open_services(make_config(DRE_JOB_LEASE_S="2"), private_redis.url, warm_up=False) as services:
        app = create_app(services)
        async with app.test_app() as test_app:
            client = test_app.test_client()
            status, body, _ = await post(client, "/pos/v2/evaluate", COFFEE)
            assert status == 200 and body["meta"]["counterSource"] == "STORE"
            private_redis.stop()

            for path, payload in (("/pos/coupons/reserve", {"code": "X", "transactionId": "T1"}),
                                  ("/pos/v2/confirm", {"request": {"header": {"transactionId": "T1",
                                                                              "transactionCounter": 1}}}),
                                  ("/pos/coupons/redeem", {"reservationId": "R1"})):
                started = time.monotonic()
                status, body, response = await post(client, path, payload)
                assert (status, body["error"]["code"]) == (503, "STORE_UNAVAILABLE"), path
                assert response.headers["Retry-After"] == "1"
                assert time.monotonic() - started < FAST_FAIL_S
            status, body, _ = await post(client, "/pos/v2/evaluate", COFFEE)
            assert status == 200 and body["meta"]["counterSource"] == "LOCAL"
            assert body["totals"]["discount"] == 1.0  # still priced with the rules
            r = await client.get("/pos/heartbeat", headers=AUTH)
            hb = await r.get_json()
            assert (hb["circuitBreaker"], hb["btpConnectivity"], hb["status"]) == ("open", "DISCONNECTED", "DEGRADED")

            # Redis back on the same port: no request needed, the job worker's polling is the probe
            restarted = start_redis_server(tmp_path / "redis2", port=private_redis.port, persist=False)
            try:
                with trio.fail_after(10):
                    while services.store.breaker.state.value != "closed":
                        await trio.sleep(0.05)
                status, body, _ = await post(client, "/pos/coupons/validate", {"code": "X"})
                assert status == 200
                r = await client.get("/pos/heartbeat", headers=AUTH)
                assert (await r.get_json())["circuitBreaker"] == "closed"
            finally:
                restarted.stop()
