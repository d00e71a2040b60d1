"""Article import throughput over HTTP: synchronous import and the batch job, 1M articles.

    python -m bench.articles [--n 1000000] [--sync-batch 5000] [--clients 4] [--workers 2]
                             [--redis-url URL]

Starts ``dre serve`` (``--workers`` processes; an embedded redis-server in a temporary directory
unless --redis-url is given), then:

* sync: ``POST /pos/articles/import`` in requests of ``--sync-batch`` articles (each request
  under the 1 MiB body limit) from ``--clients`` keep-alive connections, all ``--n`` articles;
  prints articles/s from the first request to the last answer.
* batch: one ``POST /pos/articles/import-batch`` of all ``--n`` articles (other numbers, so every
  article is new again), then ``GET /admin/ArticleImportJobs(id)`` until COMPLETED; prints the
  time to the 202 (upload, parse, chunks stored), the job's own time, and articles/s overall.

Article shape: ``{articleNumber, name, articleGroupId, ean, price}`` (~110 bytes of JSON).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson

from actors.redis_server import free_port

KEY = "bench-key"  # an admin key: the article imports and their job status are admin-only
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
START_TIMEOUT_S = 60.0
ROOT = Path(__file__).resolve().parent.parent


def article(prefix: str, n: int) -> dict:
    return {"articleNumber": f"{prefix}{n:08d}", "name": f"Article number {n}", "articleGroupId": f"G{n % 500}",
            "ean": f"{4000000000000 + n:013d}", "price": round(0.5 + (n % 1000) / 10, 2)}


def start_server(workers: int, redis_url: str | None, data_dir: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DRE_API_KEYS": f"bench:{KEY}:admin", "DRE_DATA_DIR": data_dir,
           "DRE_REDIS_URL": redis_url or ""}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", str(workers)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/openapi.json", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("dre serve did not start")


def bench_sync(url: str, n: int, batch: int, clients: int) -> float:
    """Articles/s of the synchronous route, ``clients`` connections sharing the batches."""
    starts = list(range(0, n, batch))
    lock = threading.Lock()
    failures = []

    def client() -> None:
        with httpx.Client(base_url=url, headers=HEADERS, timeout=120) as c:
            while True:
                with lock:
                    if not starts:
                        return
                    first = starts.pop()
                body = orjson.dumps({"articles": [article("S", i) for i in range(first, min(first + batch, n))]})
                r = c.post("/pos/articles/import", content=body)
                if r.status_code != 200 or r.json()["failed"]:
                    failures.append(r.status_code)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"sync import failed: {failures[:5]}")
    return n / elapsed


def bench_batch(url: str, n: int) -> tuple[float, float, float, int]:
    """(seconds to the 202, seconds of the job after it, articles/s overall, body bytes)."""
    body = orjson.dumps({"articles": [article("B", i) for i in range(n)]})
    with httpx.Client(base_url=url, headers=HEADERS, timeout=600) as c:
        t0 = time.perf_counter()
        r = c.post("/pos/articles/import-batch", content=body)
        accepted = time.perf_counter()
        if r.status_code != 202:
            raise SystemExit(f"batch import refused: {r.status_code} {r.text[:300]}")
        job_id = r.json()["jobId"]
        while True:
            job = c.get(f"/admin/ArticleImportJobs({job_id})").json()
            if job["status"] in ("COMPLETED", "FAILED"):
                break
            time.sleep(0.05)
        done = time.perf_counter()
    if job["status"] != "COMPLETED" or job["processed"] != n or job["failed"]:
        raise SystemExit(f"batch job ended badly: {job}")
    return accepted - t0, done - accepted, n / (done - t0), len(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--sync-batch", type=int, default=5_000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--redis-url")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        proc, url = start_server(args.workers, args.redis_url, data_dir)
        try:
            rate = bench_sync(url, args.n, args.sync_batch, args.clients)
            print(f"sync  /pos/articles/import: {args.n:,} articles in requests of {args.sync_batch:,} from "
                  f"{args.clients} clients: {rate:,.0f} articles/s")
            to_202, job_s, overall, size = bench_batch(url, args.n)
            print(f"batch /pos/articles/import-batch: {args.n:,} articles ({size / 1e6:.0f} MB): 202 after "
                  f"{to_202:.1f} s, job {job_s:.1f} s ({args.n / job_s:,.0f} articles/s), "
                  f"overall {overall:,.0f} articles/s")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
