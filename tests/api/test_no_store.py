"""A service run without Redis (open_services with no URL: tests and tools) holds an
UnavailableStore: evaluate still prices (LOCAL counters, the start-up file's rules), every route
that needs the store answers 503 STORE_UNAVAILABLE, and the heartbeat reports no store."""
from __future__ import annotations

import orjson
import pytest

from api.app import create_app
from api.worker import open_services
from tests.api.conftest import AUTH, JSON_AUTH, make_config, post


@pytest.fixture
async def storeless():
    async with open_services(make_config(), None, warm_up=False) as services:
        assert services.store.available is False and services.jobs is None and services.reloader is None
        async with create_app(services).test_app() as app:
            yield app.test_client()


async def test_evaluate_prices_with_local_counters(storeless, example_request):
    status, body, _ = await post(storeless, "/pos/v2/evaluate", example_request)
    assert status == 200, body
    assert body["meta"]["counterSource"] == "LOCAL"
    assert body["totals"]["discount"] == 2.97  # the start-up file's rules, loaded into the engine
    with_key = {**JSON_AUTH, "Idempotency-Key": "k1"}  # evaluate runs without idempotency then
    assert (await post(storeless, "/pos/v2/evaluate", example_request, with_key))[0] == 200
    # and so does its OData alias
    status, body, r = await post(storeless, "/odata/v4/pos/evaluate", example_request, with_key)
    assert status == 200 and body["meta"]["counterSource"] == "LOCAL" and r.headers["OData-Version"] == "4.0"


@pytest.mark.parametrize("path,body", [
    ("/pos/v2/confirm", {"request": {"header": {"transactionId": "T1", "transactionCounter": 1}}}),
    ("/pos/coupons/validate", {"code": "SUMMER"}),
    ("/pos/coupons/redeem", {"reservationId": "R1"}),
])
async def test_store_routes_answer_503(storeless, path, body):
    status, answer, r = await post(storeless, path, body)
    assert (status, answer["error"]["code"]) == (503, "STORE_UNAVAILABLE"), answer
    assert r.headers.get("Retry-After")


async def test_odata_store_actions_answer_503_in_the_odata_shape(storeless):
    status, answer, r = await post(storeless, "/odata/v4/pos/validateCoupon", {"code": "SUMMER"})
    assert (status, answer["error"]["code"]) == (503, "STORE_UNAVAILABLE") and r.headers.get("Retry-After")
    assert answer["error"]["details"] == [] and "target" not in answer["error"]


async def test_side_effects_answer_503(storeless):
    r = await storeless.get("/pos/v2/transactions/T1/1/side-effects", headers=AUTH)
    assert r.status_code == 503


async def test_heartbeat_reports_no_store(storeless):
    hb = orjson.loads(await (await storeless.get("/pos/heartbeat", headers=AUTH)).get_data())
    assert hb["circuitBreaker"] == "none" and hb["pendingTransactions"] is None and hb["lastSync"] is None
    assert hb["status"] == "DEGRADED" and hb["mode"] == "OFFLINE" and hb["btpConnectivity"] == "DISCONNECTED"
