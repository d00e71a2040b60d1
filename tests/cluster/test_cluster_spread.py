"""One tenant's lane workload spreads over every master of the cluster (issue 14): 3 evaluates and 1
confirm per transaction, with the side-effects job worker running each confirm's job (loyalty
points, audit record), from one store actor as one service process would.

Measured per master, from a CONFIG RESETSTAT before the workload to the end:

* keys: each master holds >= 15 % of the keys the workload wrote (DBSIZE; the cluster is flushed
  first, so every key is the workload's);
* commands (INFO commandstats, every command but what the test and the client send to watch and
  steer the cluster: INFO, CLUSTER, PING, SCRIPT, CONFIG, DBSIZE, FLUSHALL, COMMAND, CLIENT) within
  +-25 % of each other: the busiest master does at most 1.25 times the commands of the least busy;
* the time Redis spent in those commands (usec of commandstats; an EVALSHA's usec include those of
  the commands its script ran) and each master's CPU seconds (INFO cpu) are printed with them.

DRE_SPREAD_TXNS sets the number of transactions. The issue's 10,000 took 74-78 s on the busy
2-core development machine (load ~10) and passed (docs/capacity.md has the figures); the default is
the lean 5,000 (~50 s there; 6,000 took 62 s), which measures the same shares."""
import os
import time

import trio

from actors.jobs import JobSettings, open_job_worker
from actors.side_effects import SideEffects
from actors.store import open_store
from dre.side_effects import JobPayload, PromotionUse
from dre.store.records import BudgetUse

N_TXN = int(os.environ.get("DRE_SPREAD_TXNS", "10000"))  # the 10k: ~25 s on a quiet 2-core machine
LANES = 200  # lanes at the same time (a confirm waits for its commit: many in flight)
HOUSEKEEPING = {"info", "cluster", "ping", "script", "config", "dbsize", "flushall", "command", "client"}
WORKER = JobSettings(runners=16, poll_s=0.05, lease_s=30, job_timeout_s=20, recover_every_s=5, sweep_every_s=60)


def command_stats(cluster) -> dict[int, dict[str, tuple[int, int]]]:
    """Per master: command -> (calls, usec), housekeeping left out."""
    out = {}
    for port in cluster.master_ports():
        stats = cluster.node(port).info("commandstats")
        out[port] = {name.removeprefix("cmdstat_"): (int(s["calls"]), int(s["usec"])) for name, s in stats.items()
                     if name.removeprefix("cmdstat_").split("|")[0] not in HOUSEKEEPING}
    return out


def cpu_seconds(cluster) -> dict[int, float]:
    """Per master: CPU seconds its redis-server process used so far (INFO cpu, user + system)."""
    out = {}
    for port in cluster.master_ports():
        cpu = cluster.node(port).info("cpu")
        out[port] = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
    return out


def payload(i: int, counter: int) -> str:
    return JobPayload(
        transactionId=f"L{i}", transactionCounter=counter, confirmedAt=int(time.time() * 1000), customerId=f"C{i}",
        member=f"M{i % 2000}", points=12, coupons=(), promotions=(PromotionUse("P1", 1, 100, 0, None),), grants=(),
        totals={"gross": 1999, "discount": 100, "points": 12}, storeId=f"S{i % 50}").to_json()


async def test_one_tenants_lane_workload_spreads_over_every_master(cluster_url, redis_cluster):
    use = BudgetUse("P1", 100)
    for port in redis_cluster.master_ports():
        redis_cluster.node(port).config_resetstat()
    cpu_before = cpu_seconds(redis_cluster)
    started = time.monotonic()
    async with open_store(cluster_url) as store:
        async with open_job_worker(store, ["acme"], SideEffects(store), WORKER) as worker:
            async def lane(i: int) -> None:
                for _ in range(3):
                    counter = await store.transactions.next_counter("acme", f"L{i}", '{"basket": "..."}')
                await store.transactions.confirm("acme", f"L{i}", counter, customer_id=f"C{i}", promotions=[use],
                                                 coupons=[], answer='{"ok": true}', job_payload=payload(i, counter))
                worker.notify()

            limit = trio.Semaphore(LANES)

            async def one(i: int) -> None:
                async with limit:
                    await lane(i)

            async with trio.open_nursery() as nursery:
                for i in range(N_TXN):
                    nursery.start_soon(one, i)
            lanes_done = time.monotonic() - started
            with trio.fail_after(300):
                while worker.completed < N_TXN:
                    await trio.sleep(0.05)
        assert (await store.budgets.get("acme", "P1")).redemptions_consumed == N_TXN
        assert await store.jobs.queue_length("acme") == 0
        assert await store.loyalty.points("acme", "M0") == 12 * len(range(0, N_TXN, 2000))
        merged = getattr(store.core, "merged", 0)  # (the release before batched commits has none)
    elapsed = time.monotonic() - started
    stats = command_stats(redis_cluster)
    cpu = [round(c - cpu_before[p], 1) for p, c in cpu_seconds(redis_cluster).items()]
    keys_per_master = [redis_cluster.node(p).dbsize() for p in stats]
    calls = [sum(c for c, _ in s.values()) for s in stats.values()]
    usec = [sum(u for _, u in s.values()) for s in stats.values()]
    print(f"\n{N_TXN} transactions in {elapsed:.1f} s (lanes done after {lanes_done:.1f} s; {merged} commits merged"
          f" into others' calls)"
          f"\nkeys per master {keys_per_master} ({[round(k / sum(keys_per_master) * 100) for k in keys_per_master]} %)"
          f"\ncommands per master {calls} (max/min {max(calls) / min(calls):.2f})"
          f"\nusec per master {usec} (max/min {max(usec) / min(usec):.2f}; a script's usec include its commands')"
          f"\nCPU seconds per master {cpu} (INFO cpu: every command, housekeeping and idle ticks included)")
    for port, s in stats.items():
        print(port, sorted(s.items(), key=lambda kv: -kv[1][0])[:10])
    total = sum(keys_per_master)
    assert all(k >= 0.15 * total for k in keys_per_master), keys_per_master
    assert max(calls) <= 1.25 * min(calls), calls
