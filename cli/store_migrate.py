"""`dre store migrate`: move keys written by the layout before issue 14 to their current names.

Before, every key of a tenant carried the tenant's hash tag; now a transaction's counter,
iterations and refused set, a loyalty member's keys, an Idempotency-Key and an article import job
have slots of their own
(dre/store/keys.py, docs/store.md). This renames what an older release left
(``keys.legacy_rename``), on one node or on every master of a cluster: each old key is copied
(DUMP + RESTORE with its TTL, so it works across cluster nodes) unless the new name exists already
(then the new one, written by the new release, wins), then deleted. Idempotent and resumable: a
second run, or a run after an interrupted one, finds only what is left to move. Run it with the
service stopped, or right after upgrading before traffic resumes (an old-named counter a worker no
longer reads would otherwise restart at 1 - harmless for a transaction whose confirm is done).
The side-effect jobs of the layout before the queue buckets move too: a job's hash to its
transaction's slot (the codes it granted to its grants hash), the tenant's queue list and lease set
into the job's bucket, audit records to their transaction's slot and the audit log's ids into
its parts (docs/store.md). Keys that stay in the tenant's slot keep their names (the
sale records of linked returns, budget remainders...); journaled replies (``:op:`` keys) are
named after the old key names, which no call makes any more: they are left to lapse (24 h).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import redis

from dre.store.keys import audit_log, job_bucket, legacy_queue, legacy_rename

# where old names can be (job hashes before their queue entries: an entry finds its job moved)
PATTERNS = ("dre:{*}:txn:*", "dre:{*}:member:*", "dre:{*}:idem:*", "dre:{*}:import:*", "dre:{*}:job:*",
            "dre:{*}:jobs:*", "dre:{*}:audit:*")


def open_client(url: str) -> redis.Redis | redis.RedisCluster:
    """A sync client of ``url``: a cluster client when it names a cluster node."""
    plain = redis.Redis.from_url(url, decode_responses=False)
    if plain.info("cluster").get("cluster_enabled") == 1:
        plain.close()
        return redis.RedisCluster.from_url(url, decode_responses=False)
    return plain


def migrate(client: redis.Redis | redis.RedisCluster, batch: int = 500) -> dict[str, int]:
    """Move every old-layout key; returns counts: moved, kept (the new name existed), scanned."""
    counts = {"moved": 0, "kept": 0, "scanned": 0}
    for pattern in PATTERNS:
        for raw in client.scan_iter(match=pattern, count=batch):
            counts["scanned"] += 1
            name = raw.decode()
            queue = legacy_queue(name)
            if queue is not None:
                _move_queue(client, raw, *queue)
                counts["moved"] += 1
                continue
            new = legacy_rename(name)
            if new is None:
                continue
            dumped, pttl = client.dump(raw), client.pttl(raw)
            if dumped is None:
                continue  # expired or moved meanwhile
            try:
                client.restore(new, max(pttl, 0), dumped)
                counts["moved"] += 1
            except redis.ResponseError as exc:
                if "BUSYKEY" not in str(exc):
                    raise
                counts["kept"] += 1
            if ":job:" in name:
                _keep_grants(client, raw, f"{name}:grants")
            client.delete(raw)
    return counts


def _keep_grants(client: redis.Redis | redis.RedisCluster, job: bytes, grants: str) -> None:
    """The post-purchase codes a job granted (``grant:*`` fields of its hash before) go to the
    job's grants hash in the tenant's slot, where coupon_grant.lua finds them: a job that runs
    again gets its codes back, not new ones."""
    fields = {f: v for f, v in client.hgetall(job).items() if f.startswith(b"grant:")}
    for f, v in fields.items():
        client.hsetnx(grants, f, v)


def _move_queue(client: redis.Redis | redis.RedisCluster, raw: bytes, tenant: str, kind: str) -> None:
    """Old queue entries (claimable now) and leases (claimable when they run out) into the job's
    bucket, the audit log's ids (newest first) into their parts of the log; ZADD NX, so a second
    run (or one after an interrupted one) adds nothing twice."""
    now = int(time.time() * 1000)
    if kind == "leases":
        entries = client.zrange(raw, 0, -1, withscores=True)
    else:
        entries = [(job_id, now - i) for i, job_id in enumerate(client.lrange(raw, 0, -1))]
    for job_id, score in entries:
        text = job_id.decode()
        target = audit_log(tenant, text) if kind == "log" else job_bucket(tenant, text)
        client.zadd(target, {text: int(score)}, nx=True)
    client.delete(raw)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dre store migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default=os.environ.get("DRE_REDIS_URL"),
                        help="the Redis (a single node, or any node of a cluster); default DRE_REDIS_URL")
    args = parser.parse_args(argv)
    if not args.redis_url:
        parser.error("--redis-url or DRE_REDIS_URL is required")
    counts = migrate(open_client(args.redis_url))
    print(f"moved {counts['moved']} keys, {counts['kept']} already under their new name, "
          f"{counts['scanned']} looked at")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
