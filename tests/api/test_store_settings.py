"""Store settings through HTTP: /admin/stores/{storeId} and /admin/settings (time zones), and
TIME conditions judged at the store's local time (issue 17, point 3)."""
from __future__ import annotations

import orjson
import pytest

from tests.api.conftest import ADMIN_AUTH, AUTH, OTHER_ADMIN_KEY, post

HAPPY_HOUR = {"id": "HH", "name": "happy hour: 1.00 off beer", "type": "ARTICLE",
              "conditions": [{"type": "TIME", "from": "17:00", "to": "19:00"}],
              "actions": [{"type": "ARTICLE", "values": ["BEER"], "amountOff": 1.00}]}


async def call(client, method: str, path: str, body: object | None = None, auth: dict = ADMIN_AUTH):
    headers = dict(auth)
    kwargs = {}
    if body is not None:
        headers["Content-Type"] = "application/json"
        kwargs["data"] = orjson.dumps(body)
    r = await client.open(path, method=method, headers=headers, **kwargs)
    return r.status_code, orjson.loads(await r.get_data()), r


async def happy_hour_discount(client, timestamp: str, store_id: str = "BER1") -> float:
    body = {"request": {"header": {"storeId": store_id, "timestamp": timestamp}, "posGroupCode": "DE-NORTH",
                        "items": [{"lineReference": "1", "articleNumber": "BEER", "quantity": 1,
                                   "unitPrice": 3.00, "articleGroupId": "DRINKS"}]}}
    status, answer, _ = await post(client, "/pos/v2/simulate", body)
    assert status == 200, answer
    return answer["totals"]["discount"]


@pytest.fixture
async def happy_hour(client):
    status, _, _ = await call(client, "PUT", "/admin/promotions/HH", HAPPY_HOUR)
    assert status == 201


async def test_a_berlin_store_judges_time_conditions_in_berlin(client, happy_hour):
    status, doc, r = await call(client, "PUT", "/admin/stores/BER1", {"timeZone": "Europe/Berlin"})
    assert status == 201 and doc == {"storeId": "BER1", "timeZone": "Europe/Berlin"}
    assert int(r.headers["X-Promotions-Version"]) > 0
    assert await happy_hour_discount(client, "2026-12-01T16:30:00Z") == 1.0  # 17:30 CET
    assert await happy_hour_discount(client, "2026-07-01T15:30:00Z") == 1.0  # 17:30 CEST
    assert await happy_hour_discount(client, "2026-07-01T17:30:00Z") == 0.0  # 19:30 CEST
    # another offset, the same instant: the store's clock decides, not the sender's offset
    assert await happy_hour_discount(client, "2026-07-01T11:30:00-04:00") == 1.0
    # no offset: a wall-clock time in the store
    assert await happy_hour_discount(client, "2026-07-01T17:30:00") == 1.0
    assert await happy_hour_discount(client, "2026-07-01T15:30:00") == 0.0


async def test_without_a_zone_the_timestamps_own_offset_counts(client, happy_hour):
    assert await happy_hour_discount(client, "2026-12-01T16:30:00Z") == 0.0
    assert await happy_hour_discount(client, "2026-12-01T17:30:00+01:00") == 1.0
    assert await happy_hour_discount(client, "2026-12-01T17:30:00") == 1.0  # UTC, as before


async def test_the_tenant_default_covers_stores_without_their_own(client, happy_hour):
    status, doc, _ = await call(client, "PUT", "/admin/settings", {"timeZone": "Europe/Berlin"})
    assert status == 200 and doc == {"timeZone": "Europe/Berlin"}
    await call(client, "PUT", "/admin/stores/LIS1", {"timeZone": "Europe/Lisbon"})
    assert await happy_hour_discount(client, "2026-07-01T15:30:00Z", "ANY") == 1.0  # Berlin 17:30
    assert await happy_hour_discount(client, "2026-07-01T15:30:00Z", "LIS1") == 0.0  # Lisbon 16:30
    assert await happy_hour_discount(client, "2026-07-01T16:30:00Z", "LIS1") == 1.0  # Lisbon 17:30
    status, listing, _ = await call(client, "GET", "/admin/stores")
    assert status == 200 and listing == {"stores": [{"storeId": "LIS1", "timeZone": "Europe/Lisbon"}],
                                         "default": {"timeZone": "Europe/Berlin"}}
    assert (await call(client, "GET", "/admin/settings"))[1] == {"timeZone": "Europe/Berlin"}
    # deleting a store's settings: it follows the default again
    status, _, _ = await call(client, "DELETE", "/admin/stores/LIS1")
    assert status == 200
    assert (await call(client, "GET", "/admin/stores/LIS1"))[0] == 404
    assert (await call(client, "DELETE", "/admin/stores/LIS1"))[0] == 404
    assert await happy_hour_discount(client, "2026-07-01T15:30:00Z", "LIS1") == 1.0
    # clearing the default: the timestamp's own offset again
    await call(client, "PUT", "/admin/settings", {"timeZone": None})
    assert await happy_hour_discount(client, "2026-07-01T15:30:00Z", "ANY") == 0.0


async def test_get_put_replace_and_bad_zones(client):
    assert (await call(client, "GET", "/admin/stores/S1"))[0] == 404
    assert (await call(client, "PUT", "/admin/stores/S1", {"timeZone": "Europe/Paris"}))[0] == 201
    status, doc, _ = await call(client, "PUT", "/admin/stores/S1", {"timeZone": "America/New_York"})
    assert status == 200 and doc["timeZone"] == "America/New_York"
    assert (await call(client, "GET", "/admin/stores/S1"))[1] == {"storeId": "S1", "timeZone": "America/New_York"}
    for bad in ({"timeZone": "Mars/Olympus"}, {"timeZone": "../../etc/passwd"}, {"timeZone": "localtime"},
                {"timeZone": 3}, {"tz": "UTC"}):
        status, body, _ = await call(client, "PUT", "/admin/stores/S1", bad)
        assert status == 400, bad
        assert body["error"]["code"] == "INVALID_INPUT"
    assert (await call(client, "GET", "/admin/stores/S1"))[1]["timeZone"] == "America/New_York"  # unchanged
    assert (await call(client, "PUT", "/admin/settings", {"timeZone": "Nowhere"}))[0] == 400
    assert (await call(client, "GET", "/admin/settings"))[1] == {"timeZone": None}


async def test_admin_only_and_per_tenant(client):
    status, body, _ = await call(client, "PUT", "/admin/stores/S1", {"timeZone": "UTC"}, AUTH)
    assert status == 403 and body["error"]["code"] == "FORBIDDEN"
    assert (await call(client, "GET", "/admin/settings", auth=AUTH))[0] == 403
    await call(client, "PUT", "/admin/stores/S1", {"timeZone": "UTC"})
    other = {"Authorization": f"Bearer {OTHER_ADMIN_KEY}"}
    assert (await call(client, "GET", "/admin/stores/S1", auth=other))[0] == 404
    assert (await call(client, "GET", "/admin/stores", auth=other))[1]["stores"] == []
