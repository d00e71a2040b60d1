"""A worker builds its OpenAPI document once it listens, in a thread: not on the way to its first
answer (~0.3 s, ~1 s on a loaded machine), and not on the event loop of a client's request."""
from __future__ import annotations

import threading
from multiprocessing import get_context

import httpx
import trio
from quart_schema import OpenAPIProvider

from actors.redis_server import free_port
from api.serve import listen, run_worker
from tests.api.conftest import AUTH, EXAMPLES, make_config


async def test_the_document_is_built_in_a_thread_after_the_worker_listens(monkeypatch):
    built: list[bool] = []  # per build: on the main thread (the event loop's)
    build = OpenAPIProvider.schema

    def recording(self):
        built.append(threading.current_thread() is threading.main_thread())
        return build(self)

    monkeypatch.setattr(OpenAPIProvider, "schema", recording)
    config = make_config(DRE_PORT=str(free_port()), DRE_KERNEL_START="wait")
    stop = get_context("spawn").Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(run_worker, config, None, listen(config), stop)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{config.port}", timeout=10) as client:
            for _ in range(600):
                try:
                    r = await client.post("/pos/v2/evaluate", content=(EXAMPLES / "request.json").read_bytes(),
                                          headers={**AUTH, "Content-Type": "application/json"})
                    break
                except httpx.HTTPError:
                    await trio.sleep(0.05)
            assert r.status_code == 200
            with trio.fail_after(30):
                while not built:  # the build started (or the request below would build it itself)
                    await trio.sleep(0.01)
            r = await client.get("/openapi.json")  # waits for the thread's build: no second one
            assert r.status_code == 200 and r.json()["paths"]
        stop.set()
    assert built == [False]  # built once, in a thread
