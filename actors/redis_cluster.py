"""Redis Cluster for the store's trio links: the slot map, and a link that routes per node.

The store core runs pipelines on trio connections (``actors.redis_link``); redis-py's cluster
clients (sync, or asyncio) do not fit that event loop, so the few things a cluster client does
are done here, on the same links:

* :func:`open_link` asks the URL's server ``INFO cluster`` on the first connect: a single node
  gets a plain :class:`RedisLink` (exactly as before), a cluster node a :class:`ClusterLink`
  over a :class:`Topology` (the slot map from ``CLUSTER SLOTS``, shared by the core's workers).
* A pipeline is split by the slot of each command's first key (every script's keys share one
  slot, see dre.store.keys) and sent to every master concurrently, one pipeline per node.
* ``MOVED`` (the slot changed owner: migration or failover) updates that slot, marks the map for
  a refresh and re-sends the command to the new owner; ``ASK`` (a slot being migrated) re-sends
  it with ``ASKING`` to the target; ``TRYAGAIN`` (a script whose keys are split between the two
  nodes of a migrating slot) is re-sent after a short pause. These replies mean the command did
  not run, so re-sending it runs it once; still refused after MAX_REDIRECTS rounds, the caller
  gets a 503. A node that cannot be reached answers its commands with the connection error
  (the caller gets a 503) and marks the map for a refresh; the other nodes' replies stand.
* A node's pipeline holding :class:`Durable` commands (the confirms' commits, one call per slot and
  round) ends with one ``WAIT 1`` on the same connection when the master has a replica: their
  replies stand only once a replica has the writes, else their callers get a 503 and retry (a
  replay, or the commit again if a failover lost it).
* :meth:`ClusterLink.broadcast` runs commands on every master (``SCRIPT LOAD``), so the core
  loads its scripts everywhere at start and again after a NOSCRIPT from any node.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import trio
from redis.crc import key_slot
from redis.exceptions import AskError, MovedError, TryAgainError

from actors.redis_link import RedisLink

Addr = tuple[str, int]
SLOTS = 16384
MAX_REDIRECTS = 5  # MOVED/ASK hops per command within one pipeline (a migration moves one slot
# at a time; more hops than this means the map is in flux: the caller gets a 503)
TRYAGAIN_PAUSE_S = 0.02  # before re-sending a multi-key command refused while its slot migrates
REFRESH_MIN_S = 0.25  # the slot map is re-read at most this often (a failover answers every
# command with a connection error until it completes: one CLUSTER SLOTS per batch is too many)
# Commands without a key go to any master.
WAIT_TIMEOUT_MS = 500  # how long a durable write waits for a replica's acknowledgement
KEYLESS = frozenset({"PING", "INFO", "SCRIPT", "TIME", "CLUSTER", "DBSIZE", "ECHO", "WAIT"})


class Durable(tuple):
    """A command whose write must reach a replica before its reply counts (see WAIT_TIMEOUT_MS).
    Sent as is on a single node (no replica to wait for)."""


def not_replicated(replicas: int) -> redis.ResponseError:
    """The reply that stands in for a durable write no replica acknowledged: a 503 to the caller."""
    return redis.ResponseError(f"NOREPLICAS the write reached {replicas} replicas within {WAIT_TIMEOUT_MS} ms")


def command_key(args: Sequence[Any]) -> Any | None:
    """The key a command is routed by (its first key), or None for a keyless command."""
    name = str(args[0]).upper()
    if name in ("EVALSHA", "EVAL"):
        return args[3] if int(args[2]) > 0 else None
    if name in KEYLESS or len(args) < 2:
        return None
    return args[1]


def slot_of(key: Any) -> int:
    return key_slot(key if isinstance(key, bytes) else str(key).encode())


def node_url(url: str, addr: Addr) -> str:
    """``url`` (scheme, credentials, TLS) pointed at another node of the cluster (db 0)."""
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    host = f"[{addr[0]}]" if ":" in addr[0] else addr[0]
    netloc = f"{auth}@{host}:{addr[1]}" if auth else f"{host}:{addr[1]}"
    return urlunsplit((parts.scheme, netloc, "/0", parts.query, ""))


def parse_slots(reply: list, default_host: str) -> tuple[list[Addr | None], list[Addr], dict[Addr, int]]:
    """``CLUSTER SLOTS`` as (owner of each slot, the masters, each master's replica count). An
    empty host means "the node you asked" (Redis 7 with an unknown endpoint)."""
    owners: list[Addr | None] = [None] * SLOTS
    masters: list[Addr] = []
    replicas: dict[Addr, int] = {}
    for entry in reply:
        start, end, master = int(entry[0]), int(entry[1]), entry[2]
        addr = (master[0] or default_host, int(master[1]))
        if addr not in masters:
            masters.append(addr)
        replicas[addr] = len(entry) - 3
        owners[start:end + 1] = [addr] * (end - start + 1)
    return owners, masters, replicas


class Topology:
    """The cluster's slot map, shared by every link of one store (all on the trio thread)."""

    def __init__(self, url: str, connect_timeout_s: float) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self.owners: list[Addr | None] = [None] * SLOTS
        self.masters: list[Addr] = []
        self.replicas: dict[Addr, int] = {}  # per master: how many replicas it has
        self.stale = True
        self.refreshes = 0  # slot maps read (tests, metrics)
        self.redirects = 0  # MOVED/ASK replies followed
        self.unreachable: set[Addr] = set()  # nodes whose last connection failed: asked last
        self._last_refresh = -float("inf")
        self._lock = trio.Lock()

    def owner(self, args: Sequence[Any]) -> Addr:
        """The master a command goes to (a keyless one: the first master)."""
        key = command_key(args)
        if key is not None:
            addr = self.owners[slot_of(key)]
            if addr is not None:
                return addr
        if not self.masters:
            raise redis.ConnectionError("no cluster slot map")
        return self.masters[0]

    def moved(self, err: MovedError) -> None:
        self.owners[err.slot_id] = err.node_addr
        if err.node_addr not in self.masters:
            self.masters.append(err.node_addr)
        self.stale = True

    async def refresh(self, force: bool = False) -> None:
        """Re-read the slot map (from a known master, else the start-up node) if it is stale.

        Raises: redis.ConnectionError when no node answers (and there is no map yet).
        """
        if not (self.stale or force):
            return
        async with self._lock:
            if trio.current_time() - self._last_refresh < REFRESH_MIN_S and self.masters:
                return
            self._last_refresh = trio.current_time()
            seed = urlsplit(self.url)
            candidates = [*self.masters, (seed.hostname or "localhost", seed.port or 6379)]
            candidates.sort(key=lambda a: a in self.unreachable)  # a stopped master would hang the read
            error: Exception | None = None
            for addr in dict.fromkeys(candidates):
                try:
                    link = await RedisLink.connect(node_url(self.url, addr), self.connect_timeout_s)
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    error = exc
                    continue
                try:
                    (reply,) = await link.pipeline([("CLUSTER", "SLOTS")], self.connect_timeout_s * 4)
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    error = exc
                    continue
                finally:
                    await link.aclose()
                if isinstance(reply, Exception) or not reply:
                    error = reply if isinstance(reply, Exception) else redis.ConnectionError("empty slot map")
                    continue
                self.owners, self.masters, self.replicas = parse_slots(reply, addr[0])
                self.unreachable.intersection_update(self.masters)
                self.stale = False
                self.refreshes += 1
                return
            if not self.masters:
                raise redis.ConnectionError(f"no cluster node answered CLUSTER SLOTS: {error}")


class ClusterLink:
    """One connection per master, opened when first needed; owned by one task at a time, like
    a RedisLink. Any failure of one node's pipeline closes that node's connection only."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._links: dict[Addr, RedisLink] = {}

    def stale(self) -> bool:
        return False  # each node's connection is checked before it carries a pipeline

    async def pipeline(self, commands: Sequence[tuple], timeout_s: float,
                       each: Callable[[int, Any], None] | None = None) -> list[Any]:
        """As :meth:`RedisLink.pipeline`, over the cluster. A node's connection failure comes back
        as the exception in its commands' slots (it does not raise). ``each`` is not called: a
        reply is final only after its redirects and its replicas' WAIT."""
        topo = self.topology
        await topo.refresh()
        replies: list[Any] = [None] * len(commands)
        pending = list(range(len(commands)))
        targets: dict[int, Addr] = {}
        asking: set[int] = set()
        for i in pending:
            try:
                targets[i] = topo.owner(commands[i])
            except redis.ConnectionError as exc:
                replies[i] = exc
        pending = list(targets)
        for _ in range(MAX_REDIRECTS + 1):
            groups: dict[Addr, list[int]] = defaultdict(list)
            for i in pending:
                groups[targets[i]].append(i)
            async with trio.open_nursery() as nursery:
                for addr, idx in groups.items():
                    nursery.start_soon(self._run_node, addr, idx, commands, replies, asking, timeout_s)
            again = []
            for i in pending:
                reply = replies[i]
                retried = i in asking
                asking.discard(i)
                if isinstance(reply, MovedError):
                    topo.moved(reply)
                elif isinstance(reply, AskError):
                    asking.add(i)
                elif isinstance(reply, TryAgainError):
                    if retried:
                        asking.add(i)  # still to the importing node
                    again.append(i)
                    continue
                else:
                    continue
                topo.redirects += 1
                targets[i] = reply.node_addr
                again.append(i)
            if not again:
                break
            if any(isinstance(replies[i], TryAgainError) for i in again):
                await trio.sleep(TRYAGAIN_PAUSE_S)
            pending = again
        return replies

    async def _run_node(self, addr: Addr, idx: list[int], commands: Sequence[tuple], replies: list[Any],
                        asking: set[int], timeout_s: float) -> None:
        sent: list[tuple] = []
        replicated = self.topology.replicas.get(addr, 0) > 0
        durable = [i for i in idx if isinstance(commands[i], Durable)] if replicated else []
        for i in idx:
            if i in asking:
                sent.append(("ASKING",))
            sent.append(commands[i])
        if durable:  # one WAIT after the node's pipeline covers every write before it on the connection
            sent.append(("WAIT", 1, WAIT_TIMEOUT_MS))
        try:
            link = await self._link(addr)
            got = await link.pipeline(sent, timeout_s)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            await self._drop(addr)
            self.topology.stale = True
            self.topology.unreachable.add(addr)
            for i in idx:
                replies[i] = exc
            return
        except BaseException:  # cancelled mid-pipeline: its reply stream is out of step
            await self._drop(addr)
            raise
        self.topology.unreachable.discard(addr)
        pos = 0
        for i in idx:
            if i in asking:
                pos += 1  # ASKING's +OK
            replies[i] = got[pos]
            pos += 1
        if durable:
            acked = got[pos]
            for i in durable:
                if not isinstance(replies[i], Exception) and not (isinstance(acked, int) and acked >= 1):
                    replies[i] = not_replicated(acked if isinstance(acked, int) else 0)

    async def _link(self, addr: Addr) -> RedisLink:
        link = self._links.get(addr)
        if link is not None and link.stale():
            await self._drop(addr)
            link = None
        if link is None:
            link = await RedisLink.connect(node_url(self.topology.url, addr), self.topology.connect_timeout_s)
            self._links[addr] = link
        return link

    async def _drop(self, addr: Addr) -> None:
        link = self._links.pop(addr, None)
        if link is not None:
            await link.aclose()

    async def broadcast(self, commands: Sequence[tuple], timeout_s: float) -> list[list[Any]]:
        """Run ``commands`` on every master; one reply list per master.

        Raises: the first node's connection error (the caller retries the whole broadcast).
        """
        await self.topology.refresh()
        results: dict[Addr, list[Any]] = {}

        async def one(addr: Addr) -> None:
            try:
                results[addr] = await (await self._link(addr)).pipeline(commands, timeout_s)
            except BaseException:
                await self._drop(addr)
                self.topology.stale = True
                raise

        async with trio.open_nursery() as nursery:
            for addr in list(self.topology.masters):
                nursery.start_soon(one, addr)
        return list(results.values())

    async def aclose(self) -> None:
        for addr in list(self._links):
            await self._drop(addr)


Link = RedisLink | ClusterLink  # what the store core's workers hold


class LinkFactory:
    """Opens the store's connections: decides once, on the first successful connect, whether
    ``url`` names a single server or a cluster node (``cluster_enabled:1`` in ``INFO cluster``)."""

    def __init__(self, url: str, connect_timeout_s: float) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self.topology: Topology | None = None  # set once the URL turned out to be a cluster node
        self._decided = False

    @property
    def clustered(self) -> bool:
        return self.topology is not None

    async def open(self) -> Link:
        """A new connection (single node) or a new cluster link (sharing the slot map).

        Raises: redis.ConnectionError / TimeoutError when Redis cannot be reached.
        """
        if self._decided:
            if self.topology is None:
                return await RedisLink.connect(self.url, self.connect_timeout_s)
            return ClusterLink(self.topology)
        link = await RedisLink.connect(self.url, self.connect_timeout_s)
        try:
            (info,) = await link.pipeline([("INFO", "cluster")], self.connect_timeout_s * 4)
        except BaseException:
            await link.aclose()
            raise
        if isinstance(info, Exception) or "cluster_enabled:1" not in str(info):
            self._decided = True
            return link
        await link.aclose()
        topology = Topology(self.url, self.connect_timeout_s)
        await topology.refresh(force=True)
        self.topology = topology
        self._decided = True
        return ClusterLink(topology)
