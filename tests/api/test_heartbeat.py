"""GET /pos/heartbeat: every field, with the store up and with it down."""
from __future__ import annotations

from datetime import datetime

import orjson

from actors.redis_server import free_port
from api.app import create_app
from api.services.counters import is_local_counter
from api.worker import open_services
from tests.api.conftest import AUTH, make_config, post


async def test_heartbeat_fields(client):
    await client.get("/pos/heartbeat", headers=AUTH)  # lastSync is set by a store call
    r = await client.get("/pos/heartbeat", headers=AUTH)
    hb = orjson.loads(await r.get_data())
    assert r.status_code == 200
    assert set(hb) == {"status", "version", "mode", "btpConnectivity", "lastSync", "pendingTransactions",
                       "promotionsLoaded", "promotionsVersion", "uptime", "circuitBreaker", "engine", "pricingPath",
                       "kernels", "instance", "backgroundErrors"}
    assert hb["instance"] == "CENTRAL"  # the default deployment (a local instance: tests/local)
    assert hb["backgroundErrors"] == {}
    assert hb["status"] == "UP" and hb["mode"] == "ONLINE" and hb["btpConnectivity"] == "CONNECTED"
    assert hb["circuitBreaker"] == "closed"
    assert hb["pendingTransactions"] == 0
    assert hb["promotionsLoaded"] == 4 and hb["promotionsVersion"] == 1
    assert hb["uptime"] >= 0 and hb["version"]
    assert datetime.fromisoformat(hb["lastSync"]).tzinfo is not None
    assert hb["engine"] == "KernelSet"  # the kernels serve: no silent fall-back to the reference evaluator
    assert hb["pricingPath"] == "KERNELS" and hb["kernels"] == "LAZY"  # a test engine: compiled on first use


async def test_store_down_still_prices_with_local_counter(example_request):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async with open_services(make_config(), dead, warm_up=False) as services:
        app = create_app(services)
        async with app.test_app() as ta:
            client = ta.test_client()
            counters = []
            for _ in range(2):
                status, body, _ = await post(client, "/pos/v2/evaluate", example_request)
                assert status == 200
                counters.append((body["meta"]["header"]["transactionCounter"], body["meta"]["counterSource"]))
            (first, source), (second, _) = counters
            assert source == "LOCAL" and is_local_counter(first) and second == first + 1
            assert body["totals"]["discount"] == 2.97
            hb = orjson.loads(await (await client.get("/pos/heartbeat", headers=AUTH)).get_data())
            assert hb["status"] == "DEGRADED" and hb["btpConnectivity"] == "DISCONNECTED"
            assert hb["mode"] == "OFFLINE" and hb["pendingTransactions"] is None
            assert hb["circuitBreaker"] in ("open", "half_open")


async def test_heartbeat_shows_background_failures(client, services):
    services.store.faults.record("jobs.claim", RuntimeError("MOVED 3999 10.0.0.1:7000"))
    services.store.faults.record("jobs.claim", RuntimeError("MOVED 3999 10.0.0.1:7000"))
    hb = orjson.loads(await (await client.get("/pos/heartbeat", headers=AUTH)).get_data())
    fault = hb["backgroundErrors"]["jobs.claim"]
    assert fault["count"] == 2 and fault["lastError"] == "RuntimeError: MOVED 3999 10.0.0.1:7000"
    assert datetime.fromisoformat(fault["lastErrorAt"]).tzinfo is not None
