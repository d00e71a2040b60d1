"""Fixtures of the API tests: the real app (test client) on the session's real Redis."""
from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest
import redis

from api.app import create_app
from api.worker import open_services
from dre.config import load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KEY, OTHER_KEY = "key-acme", "key-globex"  # POS keys
ADMIN_KEY, OTHER_ADMIN_KEY = "key-acme-admin", "key-globex-admin"  # admin keys of the same tenants
TENANT, OTHER_TENANT = "acme", "globex"
API_KEYS = (f"{TENANT}:{KEY},{OTHER_TENANT}:{OTHER_KEY},"
            f"{TENANT}:{ADMIN_KEY}:admin,{OTHER_TENANT}:{OTHER_ADMIN_KEY}:admin")
AUTH = {"Authorization": f"Bearer {KEY}"}
JSON_AUTH = {**AUTH, "Content-Type": "application/json"}
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}  # /admin/*, article imports, coupon issue
JSON_ADMIN_AUTH = {**ADMIN_AUTH, "Content-Type": "application/json"}


# Tests check what the service answers, not how fast: on a loaded CI machine the production
# pricing deadline (250 ms) is sometimes outwaited by an ordinary basket. The deadline's own tests
# set it themselves. tests/conftest.py gives `dre serve` children the same.
TEST_PRICE_DEADLINE_MS = "5000"


def make_config(**env: str):
    base = {"DRE_API_KEYS": API_KEYS, "DRE_PRICE_DEADLINE_MS": TEST_PRICE_DEADLINE_MS,
            "DRE_PROMOTIONS_FILE": str(EXAMPLES / "promotions.json"), "DRE_SHARDS": "2"}
    return load_config({**base, **env})


@pytest.fixture
def example_request() -> dict:
    """A fresh copy of examples/request.json (tests change it freely)."""
    return copy.deepcopy(orjson.loads((EXAMPLES / "request.json").read_bytes()))


@pytest.fixture
async def services(redis_url):
    async with open_services(make_config(), redis_url, warm_up=False) as s:
        yield s


@pytest.fixture
async def client(services):
    app = create_app(services)
    async with app.test_app() as test_app:
        yield test_app.test_client()


@pytest.fixture
def rdb(redis_url) -> redis.Redis:
    """A plain client on the test Redis, to look at what the service wrote."""
    return redis.Redis.from_url(redis_url, decode_responses=True)


async def post(client, path: str, body: object, headers: dict | None = None):
    """POST ``body`` as JSON; returns (status, parsed body, response)."""
    r = await client.post(path, data=orjson.dumps(body), headers=JSON_AUTH if headers is None else headers)
    return r.status_code, orjson.loads(await r.get_data()), r


async def admin_post(client, path: str, body: object):
    """:func:`post` with the tenant's admin key (admin-only routes)."""
    return await post(client, path, body, JSON_ADMIN_AUTH)
