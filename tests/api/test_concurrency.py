"""Hundreds of concurrent evaluates of one transaction get distinct, gap-free counters."""
from __future__ import annotations

import pytest
import trio

from api.worker import open_services
from tests.api.conftest import make_config, post

CONCURRENT = 300
BURST_DEADLINE_S = 5.0  # the burst queues all its baskets on one worker at once: on a busy machine the
# last ones wait longer than the default pricing deadline (0.25 s); this test is about counters


@pytest.fixture
async def services(redis_url):
    async with open_services(make_config(), redis_url, warm_up=False, engine_timeout_s=BURST_DEADLINE_S) as s:
        yield s


async def test_concurrent_evaluates_get_gap_free_counters(client, example_request, services):
    example_request["request"]["header"]["transactionId"] = "T-CONC"
    got: list[int] = []

    async def one() -> None:
        status, body, _ = await post(client, "/pos/v2/evaluate", example_request)
        assert status == 200 and body["meta"]["counterSource"] == "STORE"
        got.append(body["meta"]["header"]["transactionCounter"])

    async with trio.open_nursery() as nursery:
        for _ in range(CONCURRENT):
            nursery.start_soon(one)
    assert sorted(got) == list(range(1, CONCURRENT + 1))
    # the burst was micro-batched: fewer store pipelines than requests
    assert services.store.core.batches < services.store.core.requests
