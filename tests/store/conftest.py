"""Fixtures of the store tests: a store actor on the session's real redis-server (flushed)."""
from __future__ import annotations

import pytest

from actors.store import open_store

TENANT = "acme"


@pytest.fixture
async def store(redis_url):
    async with open_store(redis_url) as s:
        yield s


@pytest.fixture
def tenant() -> str:
    return TENANT
