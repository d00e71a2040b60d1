"""Redis stops and comes back, seen through HTTP: writes answer 503 fast, pricing goes on, the
heartbeat shows the open breaker, and the breaker closes by itself once Redis is back."""
from __future__ import annotations

import signal
import time

import pytest
import trio

from api.app import create_app
from api.worker import open_services
from actors.redis_server import start_redis_server
from tests.api.conftest import AUTH, TENANT, make_config, post
from tests.api.flows import item, request

# A write must fail at least this fast while the store is down: generous for a loaded machine, and
# still well under the store's 5 s call timeout, which a write that waited on Redis would run into.
FAST_FAIL_S = 3.0
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


async def test_a_local_counter_from_a_hung_store_is_never_confirmed_as_a_store_one(private_redis):
    """X got STORE counter 1; with Redis hung, Y of the same transaction was priced LOCAL. Its
    counter once was 1 too, and confirming it committed X. Now it cannot be confused with 1."""
    x = request("T9", [item("1", "A100", 1, 4.99, "COFFEE")])
    y = request("T9", [item("1", "A100", 7, 4.99, "COFFEE")])
    async with open_services(make_config(), private_redis.url, warm_up=False) as services:
        app = create_app(services)
        async with app.test_app() as test_app:
            client = test_app.test_client()
            _, priced_x, _ = await post(client, "/pos/v2/evaluate", x)
            assert priced_x["meta"]["header"]["transactionCounter"] == 1
            private_redis.process.send_signal(signal.SIGSTOP)  # hung, not gone: its data stays
            try:
                status, priced_y, _ = await post(client, "/pos/v2/evaluate", y)
            finally:
                private_redis.process.send_signal(signal.SIGCONT)
            assert status == 200 and priced_y["meta"]["counterSource"] == "LOCAL"
            local = priced_y["meta"]["header"]["transactionCounter"]
            assert local != 1
            with trio.fail_after(15):
                while True:  # until the breaker lets calls through again
                    status, body, _ = await post(client, "/pos/v2/confirm", {"request": {"header": {
                        "transactionId": "T9", "transactionCounter": local}}})
                    if status != 503:
                        break
                    await trio.sleep(0.2)
            assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
            assert await services.store.transactions.confirmed(TENANT, "T9") is None  # nothing committed
