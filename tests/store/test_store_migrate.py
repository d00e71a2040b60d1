"""`dre store migrate`: keys an older release wrote under the tenant's tag move to their current
names (on one node and across the masters of a cluster); idempotent, and the store reads them."""
import redis

from actors.store import open_store
from cli.main import main as dre
from cli.store_migrate import migrate, open_client
from dre.store import keys


def write_old_layout(client) -> None:
    """What the layout before issue 14 left: a transaction at counter 2 with a refusal, a member with
    a booked event, a finished Idempotency-Key, and keys that keep their names."""
    client.set("dre:{acme}:txn:T%3A1:counter", 2, px=3_600_000)
    client.hset("dre:{acme}:txn:T%3A1:iterations", "2", '{"it": 2}')
    client.sadd("dre:{acme}:txn:T%3A1:refused", "P9")
    client.hset("dre:{acme}:member:M1", mapping={"points": 40, "createdAt": 1})
    client.set("dre:{acme}:member:M1:event:CHK1", "40:40")
    client.hset("dre:{acme}:idem:confirm:K1", mapping={"state": "DONE", "owner": "o", "fingerprint": "fp",
                                                       "status": 200, "body": "{}"})
    client.hset("dre:{acme}:txn:T%3A1:confirmed", mapping={"counter": 1, "answer": "{}"})
    client.set("dre:{acme}:txn:T%3A1:done", 1)  # moves to the transaction's slot
    client.hset("dre:{acme}:txn:T%3A1:sale", mapping={"record": '{"lines": []}', '["n"]': 1})  # tenant's slot
    client.hset("dre:{acme}:import:J1", mapping={"id": "J1", "status": "COMPLETED"})
    client.rpush("dre:{acme}:import:J1:errors", "{}")
    # side-effect jobs in the tenant's slot, one queued, one leased (with a post-purchase grant made)
    client.hset("dre:{acme}:job:T%3A1/1", mapping={"id": "T:1/1", "status": "PENDING", "attempts": 0, "payload": "{}"})
    client.hset("dre:{acme}:job:T2/1", mapping={"id": "T2/1", "status": "RUNNING", "attempts": 1, "payload": "{}",
                                                "grant:P9:THX": '["TY1"]'})
    client.lpush("dre:{acme}:jobs:queue", "T:1/1")
    client.zadd("dre:{acme}:jobs:leases", {"T2/1": 1})
    client.set("dre:{acme}:audit:rec:T2/1", '{"audit": 1}')  # the audit record and log of a job
    client.lpush("dre:{acme}:audit:log", "T2/1")


async def check_the_store_reads_them(url: str) -> None:
    async with open_store(url) as store:
        assert await store.transactions.latest_counter("acme", "T:1") == 2
        assert await store.transactions.iteration("acme", "T:1", 2) == '{"it": 2}'
        assert await store.loyalty.points("acme", "M1") == 40
        booked = await store.loyalty.book("acme", "M1", "CHK1", 999)  # the booked event is known: a replay
        assert booked.replayed and booked.total_points == 40
        assert (await store.idempotency.claim("acme", "confirm", "K1", "fp")).state == "DONE"
        assert await store.transactions.confirmed("acme", "T:1") == (1, "{}")
        sale = await store.transactions.sale("acme", "T:1")  # a linked return's commit reaches it
        assert sale is not None and sale.record == {"lines": []}
        assert await store.imports.get("acme", "J1") == ({"id": "J1", "status": "COMPLETED"}, ["{}"])
        assert await store.jobs.queue_length("acme") == 2
        claimed = {(await store.jobs.claim("acme")).job_id for _ in range(2)}  # the lease ran out long ago
        assert claimed == {"T:1/1", "T2/1"}
        assert (await store.jobs.get("acme", "T2/1"))["attempts"] == "2"
        assert store.core.client.hget(keys.job_grants("acme", "T2/1"), "grant:P9:THX") == '["TY1"]'
        assert await store.audit.get("acme", "T2/1") == '{"audit": 1}'
        assert await store.audit.recent("acme") == ["T2/1"]
        assert store.core.client.get(keys.txn_done("acme", "T:1")) == "1"


async def test_migrate_on_one_node_is_idempotent(redis_url, capsys):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    write_old_layout(client)
    assert dre(["store", "migrate", "--redis-url", redis_url]) == 0
    assert "moved 15 keys" in capsys.readouterr().out
    assert 3_000_000 < client.pttl(keys.txn_counter("acme", "T:1")) <= 3_600_000  # TTL kept
    assert not client.exists("dre:{acme}:txn:T%3A1:counter", "dre:{acme}:member:M1")
    # looked at, kept: confirmed marker, sale record, the two jobs and an audit record under their new
    # names, the grants
    assert migrate(open_client(redis_url)) == {"moved": 0, "kept": 0, "scanned": 6}
    await check_the_store_reads_them(redis_url)


async def test_migrate_on_a_cluster_spreads_the_keys_and_keeps_newer_ones(cluster_url, redis_cluster):
    client = redis_cluster.client()
    write_old_layout(client)
    client.set(keys.txn_counter("acme", "T:1"), 2)  # written by the new release already: it wins
    counts = migrate(open_client(cluster_url))
    assert (counts["moved"], counts["kept"]) == (14, 1)
    await check_the_store_reads_them(cluster_url)
