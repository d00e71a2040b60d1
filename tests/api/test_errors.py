"""Every failure in the contract's error shape, and bad input never answers 500."""
from __future__ import annotations

import orjson
import pytest

from tests.api.conftest import AUTH, JSON_AUTH, post


def _shape(body: dict) -> dict:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.mark.parametrize("mutate, path, issue", [
    (lambda r: r["items"][1].update(quantity=0), "request.items[1].quantity", "must not be 0"),
    (lambda r: r["items"][0].update(unitPrice=-1), "request.items[0].unitPrice", None),
    (lambda r: r["items"][0].update(unitPrice=4.999), "request.items[0].unitPrice", None),
    (lambda r: r["items"][2].update(quantity=0.4567), "request.items[2].quantity", None),
    (lambda r: r["items"][0].update(quantity="2"), "request.items[0].quantity", "must be a number"),
    (lambda r: r.update(channel="FAX"), "request.channel", None),
    (lambda r: r.pop("posGroupCode"), "request", "posGroupCode (or posGroupId) is required"),
    (lambda r: r["items"][1].update(lineReference="1"), "request", None),
    (lambda r: r.pop("items"), "request.items", None),
])
async def test_400_names_the_path(client, example_request, rdb, mutate, path, issue):
    mutate(example_request["request"])
    size = rdb.dbsize()
    status, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    err = _shape(body)
    assert status == 400 and err["code"] == "INVALID_INPUT"
    assert path in [d["path"] for d in err["details"]]
    if issue:
        assert issue in [d["issue"] for d in err["details"]]
    assert rdb.dbsize() == size  # never reached the store


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b"null", b'{"request": 1}', b"\xff\xfe"])
async def test_400_malformed_bodies(client, raw):
    r = await client.post("/pos/v2/evaluate", data=raw, headers=JSON_AUTH)
    assert r.status_code == 400
    assert _shape(orjson.loads(await r.get_data()))["code"] == "INVALID_INPUT"


async def test_400_says_the_body_is_not_json(client):
    r = await client.post("/pos/v2/evaluate", data=b'{"request": {', headers=JSON_AUTH)
    err = _shape(orjson.loads(await r.get_data()))
    assert r.status_code == 400 and err["message"].startswith("request body is not valid JSON: ")


async def test_404_unknown_route(client):
    r = await client.get("/pos/v9/nothing", headers=AUTH)
    assert r.status_code == 404 and _shape(orjson.loads(await r.get_data()))["code"] == "NOT_FOUND"


async def test_405_wrong_method(client):
    r = await client.get("/pos/v2/evaluate", headers=AUTH)
    assert r.status_code == 405
    assert _shape(orjson.loads(await r.get_data()))["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in r.headers["Allow"]


async def test_413_body_too_large(client, example_request):
    example_request["request"]["padding"] = "x" * (1024 * 1024)
    status, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert status == 413 and _shape(body)["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_415_wrong_content_type(client, example_request, ctype):
    headers = dict(AUTH)
    if ctype:
        headers["Content-Type"] = ctype
    r = await client.post("/pos/v2/evaluate", data=orjson.dumps(example_request), headers=headers)
    assert r.status_code == 415
    assert _shape(orjson.loads(await r.get_data()))["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_unexpected_error_is_500_without_internals(client, example_request, monkeypatch):
    import api.evaluate.pricing

    def boom(*a, **k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(api.evaluate.pricing, "encode_response", boom)
    status, body, _ = await post(client, "/pos/v2/simulate", example_request)
    assert status == 500
    err = _shape(body)
    assert err["code"] == "INTERNAL_ERROR" and "secret" not in orjson.dumps(body).decode()


async def test_request_id_echoed_or_generated(client):
    r = await client.get("/pos/heartbeat", headers={**AUTH, "X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"
    r = await client.get("/pos/heartbeat", headers=AUTH)
    assert len(r.headers["X-Request-Id"]) == 32
