"""Fixtures of the load-harness tests: a fake DRE on 127.0.0.1 (never anything else)."""
from __future__ import annotations

import pytest

from tests.bench.fake_dre import FakeDre


@pytest.fixture
async def fake_dre(nursery) -> FakeDre:
    """A running :class:`FakeDre`; its ``url`` attribute is the base URL. Stopped at teardown."""
    server = FakeDre()
    server.url = await nursery.start(server.serve)
    return server
