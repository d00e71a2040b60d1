"""End to end on real `dre serve` processes and an external Redis: a budget shared by two worker
processes under 1,000 concurrent confirms; kill -9 with side-effects jobs in flight, restart, every
job completes once, and replays change nothing."""
from __future__ import annotations

import os
import signal
from collections import Counter

import httpx
import orjson
import psutil
import redis
import trio

from actors.side_effects import EVENT_PREFIX
from actors.store import open_store
from bench.live_server import LiveServer
from dre.store import keys
from actors.redis_server import start_redis_server
from tests.api.conftest import ADMIN_KEY, KEY, TENANT
from tests.api.flows import item, request

HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
ISSUE_HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}", "Idempotency-Key": "k1"}  # issue is admin-only
BUDGET_PROMO = {"id": "B100", "name": "1.00 off, budget 100.00", "type": "ARTICLE", "budget": {"amount": 100.00},
                "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 1.00}]}
N_CONFIRMS = 1000
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)


def serve(tmp_path, redis_url: str, promotions: list[dict], workers: int = 2, **env: str) -> LiveServer:
    path = tmp_path / f"promotions-{os.getpid()}-{len(list(tmp_path.iterdir()))}.json"
    path.write_bytes(orjson.dumps(promotions))
    return LiveServer({"DRE_API_KEYS": f"{TENANT}:{KEY},{TENANT}:{ADMIN_KEY}:admin", "DRE_PROMOTIONS_FILE": str(path),
                       "DRE_REDIS_URL": redis_url, **env}, ["--workers", str(workers)])


async def gather(n: int, fn, limit: int | None = None) -> list:
    out: list = [None] * n
    sem = trio.Semaphore(limit or n)

    async def one(i: int) -> None:
        async with sem:
            out[i] = await fn(i)

    async with trio.open_nursery() as nursery:
        for i in range(n):
            nursery.start_soon(one, i)
    return out


async def evaluate(http: httpx.AsyncClient, txn: str, items: list[dict], **kw) -> dict:
    r = await http.post("/pos/v2/evaluate", content=orjson.dumps(request(txn, items, **kw)))
    assert r.status_code == 200, r.text
    return r.json()


async def confirm(http: httpx.AsyncClient, txn: str, counter: int = 1) -> httpx.Response:
    body = {"request": {"header": {"transactionId": txn, "transactionCounter": counter}}}
    return await http.post("/pos/v2/confirm", content=orjson.dumps(body))


async def test_budget_of_100_under_1000_concurrent_confirms_on_two_workers(tmp_path, redis_url):
    server = serve(tmp_path, redis_url, [BUDGET_PROMO])
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=HEADERS, timeout=30, limits=LIMITS) as http:
            priced = await gather(N_CONFIRMS, lambda i: evaluate(http, f"T{i}", [item("1", "A", 1, 5.00)],
                                                                 customer=None), limit=50)
            assert all(p["totals"]["discount"] == 1.0 for p in priced)  # all priced before any confirm
            answers = await gather(N_CONFIRMS, lambda i: confirm(http, f"T{i}"))
    finally:
        assert server.stop() == 0
    outcomes = Counter(r.status_code if r.status_code == 200 else r.json()["error"]["code"] for r in answers)
    assert outcomes == Counter({200: 100, "BUDGET_EXHAUSTED": N_CONFIRMS - 100})
    rdb = redis.Redis.from_url(redis_url, decode_responses=True)
    b = rdb.hgetall(keys.budget(TENANT, "B100"))
    assert (b["amount_consumed"], b["redemptions_consumed"]) == ("10000", "100")
    assert rdb.sismember(keys.exhausted_budgets(TENANT), "B100")


def kill_9(server: LiveServer) -> None:
    """SIGKILL the service and its worker processes: no clean-up runs anywhere."""
    parent = psutil.Process(server.proc.pid)
    procs = parent.children(recursive=True) + [parent]
    for p in procs:
        p.send_signal(signal.SIGKILL)
    psutil.wait_procs(procs, timeout=10)


def snapshot(rdb: redis.Redis) -> dict:
    """Every key's value (not its TTL), to compare the store's state before and after replays."""
    out = {}
    # strings as bytes: journaled script replies (actors/operation.py) are MessagePack, not text
    kw = rdb.connection_pool.connection_kwargs
    raw = redis.Redis(host=kw.get("host", "localhost"), port=kw.get("port", 6379), db=kw.get("db", 0))
    for k in rdb.scan_iter():
        t = rdb.type(k)
        out[k] = {"string": raw.get, "hash": rdb.hgetall, "list": lambda x: rdb.lrange(x, 0, -1),
                  "set": lambda x: sorted(rdb.smembers(x)),
                  "zset": lambda x: rdb.zrange(x, 0, -1, withscores=True)}[t](k)
    return out


RESTART_PROMOS = [
    {"id": "LOY", "name": "1 point per 1.00", "type": "LOYALTY",
     "actions": [{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}]},
    {"id": "THANKS", "name": "a coupon for next time", "type": "RECEIPT",
     "actions": [{"type": "ISSUE_COUPON", "couponTypeId": "THX", "count": 1}]},
]
N_TXN = 120  # per batch; the second batch is confirmed right before the kill


async def test_kill_9_and_restart_every_job_completes_once_and_replays_change_nothing(tmp_path):
    ext = start_redis_server(tmp_path / "redis", persist=False)  # outlives the service
    rdb = redis.Redis.from_url(ext.url, decode_responses=True)
    try:
        async with open_store(ext.url) as store:
            await store.coupon_types.put(TENANT, "THX", kind="INDIVIDUAL", prefix="THX")
            await store.coupon_types.put(TENANT, "W", kind="INDIVIDUAL", prefix="W")
            w_codes = await store.coupons.generate(TENANT, "W", 2)
        # No job runner in the first service: at the kill every job is surely still to do (with
        # runners, the kill sometimes came after the last job had finished: nothing was in flight).
        first = serve(tmp_path, ext.url, RESTART_PROMOS, DRE_JOB_LEASE_S="2", DRE_JOB_RUNNERS="0")
        txns = [f"T{i}" for i in range(2 * N_TXN)]
        try:
            async with httpx.AsyncClient(base_url=first.url, headers=HEADERS, timeout=30, limits=LIMITS) as http:
                for n_batch, batch in enumerate((txns[:N_TXN], txns[N_TXN:])):
                    await gather(len(batch), lambda i: evaluate(http, batch[i], [item("1", "X", 1, 25.00)],
                                                                customer=f"C{batch[i]}", card=f"L{batch[i]}"), 50)
                    confirmed = await gather(len(batch), lambda i: confirm(http, batch[i]))
                    assert all(r.status_code == 200 for r in confirmed)
                    if n_batch == 0:
                        first_answers = {batch[i]: r.content for i, r in enumerate(confirmed)}
                        r1 = await http.post("/pos/coupons/reserve", json={"code": w_codes[0], "transactionId": "R1"})
                        r2 = await http.post("/pos/coupons/reserve", json={"code": w_codes[1], "transactionId": "R2"})
                        c2 = await http.post("/pos/coupons/cancel", json={"reservationId": r2.json()["reservationId"]})
                        k1 = await http.post("/pos/coupons/issue", json={"couponTypeId": "THX", "customerIds": ["K"]},
                                             headers=ISSUE_HEADERS)
                        assert (r1.status_code, c2.status_code, k1.status_code) == (200, 200, 200)
        finally:
            kill_9(first)
        left = {s: 0 for s in ("PENDING", "RUNNING", "COMPLETED")}
        for t in txns:
            left[rdb.hget(keys.job(TENANT, f"{t}/1"), "status")] += 1
        assert left == {"PENDING": 2 * N_TXN, "RUNNING": 0, "COMPLETED": 0}
        # Three workers that died half-way through a job: leased, points already booked, not completed.
        half_done = []
        async with open_store(ext.url) as store:
            for _ in range(3):
                job = await store.jobs.claim(TENANT, lease_s=1)
                member = f"L{job.job_id.split('/')[0]}"
                await store.loyalty.book(TENANT, member, EVENT_PREFIX + job.job_id, 25)
                half_done.append(member)
        assert all(rdb.hget(keys.member(TENANT, m), "points") == "25" for m in half_done)

        second = serve(tmp_path, ext.url, RESTART_PROMOS, DRE_JOB_LEASE_S="2")
        try:
            with trio.fail_after(30):
                while any(rdb.hget(keys.job(TENANT, f"{t}/1"), "status") != "COMPLETED" for t in txns):
                    await trio.sleep(0.1)
            before = snapshot(rdb)
            async with httpx.AsyncClient(base_url=second.url, headers=HEADERS, timeout=30) as http:
                for t in txns[:N_TXN]:
                    assert (await confirm(http, t)).content == first_answers[t]
                again = await http.post("/pos/coupons/reserve", json={"code": w_codes[0], "transactionId": "R1"})
                assert again.json() == r1.json()
                again = await http.post("/pos/coupons/cancel", json={"reservationId": r2.json()["reservationId"]})
                assert again.json() == c2.json()
                again = await http.post("/pos/coupons/issue", json={"couponTypeId": "THX", "customerIds": ["K"]},
                                        headers=ISSUE_HEADERS)
                assert again.json() == k1.json() and again.headers["Idempotent-Replayed"] == "true"
            assert snapshot(rdb) == before  # the replays changed nothing
        finally:
            assert second.stop() == 0
        # every job took effect exactly once
        for t in txns:
            assert rdb.hget(keys.member(TENANT, f"L{t}"), "points") == "25", t
        thx = [k for k in rdb.scan_iter(keys.coupon(TENANT, "THX*"))]
        assert len(thx) == 2 * N_TXN + 1  # one post-purchase coupon per transaction, plus K's
        granted = [orjson.loads(rdb.hget(keys.job(TENANT, f"{t}/1"), "results"))["postPurchaseCoupons"] for t in txns]
        assert sorted(g[0]["code"] for g in granted) == sorted(
            k.split(":")[-1] for k in thx if rdb.hget(k, "customerId") != "K")
    finally:
        ext.stop()
