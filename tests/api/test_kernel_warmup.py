"""A worker serves at once on the reference path while its kernels compile, then swaps to them:
the same answers before and after, and the heartbeat names the path (actors.kernel_warmup)."""
from __future__ import annotations

import random

import orjson
import pytest
import trio

from actors import kernel_warmup
from api.app import create_app
from api.worker import open_services
from bench.catalogue import Catalogue
from bench.flows import line_json
from tests.api.conftest import AUTH, make_config, post


@pytest.fixture
def gate(monkeypatch):
    """The kernels' compile child replaced by a wait for ``gate.set()``; the process's kernel
    state back to what it was after the test."""
    opened = trio.Event()

    async def compile_in_child() -> None:
        await opened.wait()

    monkeypatch.setattr(kernel_warmup, "compile_in_child", compile_in_child)
    monkeypatch.setattr(kernel_warmup.status, "state", kernel_warmup.LAZY)
    return opened


def baskets(example: dict, n: int) -> list[dict]:
    """The example request, then ``n`` catalogue baskets (A000001.. do not match the examples'
    promotions: those price with the loyalty and receipt promotions only)."""
    cat, rng = Catalogue(500, seed=7), random.Random(7)
    out = [example]
    for k in range(n):
        body = orjson.loads(orjson.dumps(example))
        lines = cat.basket(rng)
        body["request"]["items"] = example["request"]["items"] + [line_json(i + 5, ln) for i, ln in enumerate(lines)]
        body["request"]["header"]["transactionId"] = f"warm-{k}"
        out.append(body)
    return out


async def heartbeat(client) -> dict:
    r = await client.get("/pos/heartbeat", headers=AUTH)
    return orjson.loads(await r.get_data())


async def priced(client, bodies: list[dict]) -> list[dict]:
    out = []
    for body in bodies:
        status, answer, _ = await post(client, "/pos/v2/evaluate", body)
        assert status == 200, answer
        out.append({k: v for k, v in answer.items() if k != "meta"})  # meta: counters, durations
    return out


async def test_serves_on_the_reference_path_then_swaps_to_the_kernels_with_the_same_answers(
        redis_url, gate, example_request):
    async with open_services(make_config(), redis_url) as services:  # noqa: SIM117 - the app needs them
        async with create_app(services).test_app() as app:  # warm_up, DRE_KERNEL_START=background
            client = app.test_client()
            before = await heartbeat(client)
            assert (before["pricingPath"], before["kernels"]) == ("REFERENCE", "COMPILING")
            assert before["promotionsLoaded"] == 4
            bodies = baskets(example_request, 12)
            on_reference = await priced(client, bodies)
            assert sum(bool(line["discounts"]) for answer in on_reference
                       for line in answer["lineItems"]) >= len(bodies)  # discounts on every basket
            gate.set()
            with trio.fail_after(120):  # loading the kernels from numba's cache: seconds
                while (after := await heartbeat(client))["pricingPath"] != "KERNELS":
                    await trio.sleep(0.05)
            assert after["kernels"] == "READY" and after["engine"] == "KernelSet"
            assert after["promotionsVersion"] == before["promotionsVersion"]
            assert await priced(client, bodies) == on_reference
