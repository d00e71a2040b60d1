"""Bearer API keys: 401 in the error shape with nothing done; tenants fully isolated."""
from __future__ import annotations

import orjson
import pytest

from tests.api.conftest import OTHER_KEY, post


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic a2V5LWFjbWU6", "Bearer ", "key-acme"])
async def test_bad_credentials_401_nothing_done(client, example_request, rdb, header):
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Authorization"] = header
    size = rdb.dbsize()
    status, body, resp = await post(client, "/pos/v2/evaluate", example_request, headers)
    assert status == 401
    assert body["error"]["code"] == "UNAUTHORIZED" and body["error"]["details"] == []
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert rdb.dbsize() == size


async def test_401_before_validation(client):
    status, body, _ = await post(client, "/pos/v2/evaluate", {"nonsense": 1}, {"Content-Type": "application/json"})
    assert status == 401


@pytest.mark.parametrize("path", ["/pos/heartbeat", "/metrics"])
async def test_get_routes_need_auth(client, path):
    r = await client.get(path)
    assert r.status_code == 401
    assert orjson.loads(await r.get_data())["error"]["code"] == "UNAUTHORIZED"


async def test_tenants_are_isolated(client, example_request):
    other = {"Authorization": f"Bearer {OTHER_KEY}", "Content-Type": "application/json"}
    _, mine, _ = await post(client, "/pos/v2/evaluate", example_request)
    _, mine2, _ = await post(client, "/pos/v2/evaluate", example_request)
    _, theirs, _ = await post(client, "/pos/v2/evaluate", example_request, other)
    # same transactionId, separate counters; the other tenant has no promotions
    assert mine2["meta"]["header"]["transactionCounter"] == 2
    assert theirs["meta"]["header"]["transactionCounter"] == 1
    assert theirs["totals"]["discount"] == 0 and theirs["recommendations"] == []
    assert mine["totals"]["discount"] == 2.97
    hb = await client.get("/pos/heartbeat", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert orjson.loads(await hb.get_data())["promotionsLoaded"] == 0
