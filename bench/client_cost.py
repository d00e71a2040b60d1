"""CPU per request of the load generator's HTTP client: ``python -m bench.client_cost``.

Starts the service (bench.http's: embedded Redis, the example promotions, the ``/bench/echo``
route) and sends ``--requests`` POSTs of the example basket to the echo route, ``--concurrency``
at a time, through httpx (``AsyncClient`` under trio via anyio, as the generator used until
2026-12-04) and through bench.http_client, alternately for ``--rounds`` rounds, counting this
process's CPU time (``time.process_time``: user + system) per request. On this 2-core machine the
generator shares the CPU with the service it measures, so its cost per request is what bounds
the rates an in-process open-loop test can offer; the ratio of the two clients in the same run
is the figure that survives a busy machine.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import trio

from bench.http import API_KEY, ECHO, example_bodies, start_service
from bench.http_client import HttpClient
from bench.target import Target

Post = Callable[[], Awaitable[int]]


async def cpu_per_request(post: Post, requests: int, concurrency: int) -> float:
    """µs of this process's CPU per request for ``requests`` calls of ``post``, ``concurrency`` at once."""
    async def lane(n: int) -> None:
        for _ in range(n):
            status = await post()
            if status != 200:
                raise RuntimeError(f"the echo route answered {status}")

    per_lane = max(1, requests // concurrency)
    c0 = time.process_time()
    async with trio.open_nursery() as nursery:
        for _ in range(concurrency):
            nursery.start_soon(lane, per_lane)
    return (time.process_time() - c0) / (per_lane * concurrency) * 1e6


async def compare(url: str, requests: int, concurrency: int, rounds: int) -> dict[str, list[float]]:
    """Both clients, alternately, ``rounds`` times each (after a warm-up of each)."""
    body = example_bodies(1)[0]
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=httpx.Timeout(10.0),
                                 trust_env=False) as slow, \
            HttpClient(Target.parse(url), API_KEY, connections=concurrency, timeout_s=10.0) as lean:
        async def via_httpx() -> int:
            return (await slow.post(ECHO, content=body)).status_code

        async def via_lean() -> int:
            return (await lean.post(ECHO, body)).status or 0

        clients = {"httpx": via_httpx, "lean": via_lean}
        for post in clients.values():
            await cpu_per_request(post, max(concurrency, requests // 10), concurrency)  # warm-up
        out: dict[str, list[float]] = {name: [] for name in clients}
        for i in range(rounds):
            for name, post in clients.items():
                us = await cpu_per_request(post, requests, concurrency)
                out[name].append(us)
                print(f"round {i + 1}: {name:<5} {us:7.0f} µs CPU per request (concurrency {concurrency})",
                      flush=True)
        return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.client_cost", description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=2, help="HTTP worker processes of the service")
    p.add_argument("--requests", type=int, default=2000, help="requests per client and round")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dre-bench-") as scratch:
        service = start_service(args.workers, 1, Path(scratch))
        try:
            out = trio.run(compare, service.url, args.requests, args.concurrency, args.rounds)
        finally:
            service.stop()
    slow, lean = statistics.median(out["httpx"]), statistics.median(out["lean"])
    print(f"median CPU per request: httpx {slow:.0f} µs, bench.http_client {lean:.0f} µs: {slow / lean:.1f}x less")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
