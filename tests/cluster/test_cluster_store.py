"""The store actor on a real 3-master Redis Cluster: routed per slot, scripts on every master."""
from actors.store import open_store
from dre.store import keys
from dre.store.records import BudgetUse


async def test_cluster_node_is_detected_and_one_tenants_transactions_reach_every_master(cluster_url, redis_cluster):
    async with open_store(cluster_url) as store:
        assert await store.ping()
        for i in range(30):
            assert await store.transactions.next_counter("acme", f"T{i}", "{}") == 1
            assert await store.transactions.next_counter("acme", f"T{i}", "{}") == 2
        assert store.core.links.clustered
        assert len(store.core.links.topology.masters) == 3
        for i in range(30):
            assert await store.transactions.latest_counter("acme", f"T{i}") == 2
    counts = [redis_cluster.node(p).dbsize() for p in redis_cluster.master_ports()]
    assert all(c >= 10 for c in counts), counts  # one tenant's transactions spread over all masters


async def test_single_node_url_stays_a_plain_link(redis_url):
    async with open_store(redis_url) as store:
        assert await store.ping()
        assert not store.core.links.clustered


async def test_noscript_on_one_master_reloads_scripts_everywhere(cluster_url, redis_cluster):
    async with open_store(cluster_url) as store:
        for i in range(6):
            await store.transactions.next_counter(f"t{i}", "T", "{}")
        for port in redis_cluster.master_ports():
            redis_cluster.node(port).script_flush()
        for i in range(6):
            assert await store.transactions.next_counter(f"t{i}", "T", "{}") == 2
        assert store.core.script_loads >= 1


async def test_moved_slot_is_followed_after_a_migration(cluster_url, redis_cluster):
    """The tenant's slot moves to another master (MIGRATING/IMPORTING, MIGRATE, SETSLOT NODE): while
    it migrates, a key not on the source any more is answered ASK and followed; afterwards MOVED is
    followed and the slot map updated; nothing answers 503."""
    tenant = "acme"
    key = keys.budget(tenant, "P1")
    async with open_store(cluster_url) as store:
        await store.transactions.next_counter(tenant, "T", "{}")
        await store.transactions.confirm(tenant, "T", 1, customer_id=None, promotions=[BudgetUse("P1", 100)],
                                         coupons=[], answer="{}", job_payload="{}")
        client = redis_cluster.client()
        slot = client.keyslot(key)
        source = client.get_node_from_key(key)
        src = redis_cluster.node(source.port)
        target_port = next(p for p in redis_cluster.master_ports() if p != source.port)
        dst = redis_cluster.node(target_port)
        src_id, dst_id = src.execute_command("CLUSTER", "MYID"), dst.execute_command("CLUSTER", "MYID")
        dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
        src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
        assert await store.coupons.get(tenant, "NOPE") is None  # not on the source: ASK, to the target
        assert (await store.budgets.get(tenant, "P1")).amount_consumed_cents == 100  # still on the source
        while names := src.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100):
            src.execute_command("MIGRATE", "127.0.0.1", target_port, "", 0, 5000, "KEYS", *names)
        for port in redis_cluster.master_ports():
            redis_cluster.node(port).execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)
        assert (await store.budgets.get(tenant, "P1")).amount_consumed_cents == 100  # MOVED, followed
        await store.transactions.next_counter(tenant, "T2", "{}")
        await store.transactions.confirm(tenant, "T2", 1, customer_id=None, promotions=[BudgetUse("P1", 100)],
                                         coupons=[], answer="{}", job_payload="{}")
        assert (await store.budgets.get(tenant, "P1")).amount_consumed_cents == 200
        assert store.core.links.topology.redirects >= 2
        assert store.core.links.topology.owners[slot][1] == target_port
