"""DRE_MAX_IMPORT_BYTES is the batch import's body limit as configured, also below
DRE_MAX_BODY_BYTES; every other route keeps DRE_MAX_BODY_BYTES."""
from __future__ import annotations

import orjson
import pytest

from api.app import create_app
from api.worker import open_services
from tests.api.conftest import JSON_ADMIN_AUTH, make_config

IMPORT_LIMIT = 3_000


@pytest.fixture
async def client(redis_url):
    config = make_config(DRE_MAX_IMPORT_BYTES=str(IMPORT_LIMIT))
    assert config.max_import_bytes < config.max_body_bytes
    async with open_services(config, redis_url, warm_up=False) as services:
        async with create_app(services).test_app() as test_app:
            yield test_app.test_client()


def articles(n: int) -> bytes:
    return orjson.dumps({"articles": [{"articleNumber": f"A{i:07d}", "name": f"Article {i}", "articleGroupId": "G1"}
                                      for i in range(n)]})


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_batch_import_above_a_small_import_limit_is_413(client, rdb, declared):
    body = articles(50)
    assert len(body) > IMPORT_LIMIT
    # Quart's test client sends no Content-Length (as a chunked body): the limit is then
    # enforced while the body is read; a declared length is refused before it is read.
    headers = {**JSON_ADMIN_AUTH, "Content-Length": str(len(body))} if declared else JSON_ADMIN_AUTH
    r = await client.post("/pos/articles/import-batch", data=body, headers=headers)
    err = orjson.loads(await r.get_data())
    assert r.status_code == 413
    assert set(err) == {"error"} and set(err["error"]) == {"code", "message", "details"}
    assert err["error"]["code"] == "PAYLOAD_TOO_LARGE"
    if declared:
        assert err["error"]["message"] == f"request body exceeds {IMPORT_LIMIT} bytes"
    assert not rdb.keys("dre:{acme:import:*") and not rdb.keys("dre:{acme}:imports*")


async def test_batch_import_within_the_limit_is_taken(client):
    body = articles(5)
    assert len(body) <= IMPORT_LIMIT
    r = await client.post("/pos/articles/import-batch", data=body, headers=JSON_ADMIN_AUTH)
    assert r.status_code == 202


async def test_other_routes_keep_the_body_limit(client):
    body = articles(50)  # above the import limit, far below the 1 MiB body limit
    r = await client.post("/pos/articles/import", data=body, headers=JSON_ADMIN_AUTH)
    assert r.status_code == 200
