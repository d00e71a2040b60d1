"""The pricing engine of one worker process: per-tenant promotion sets, shard actors, resolvers.

Public API::

    async with open_engine(shards=2) as engine:        # or: await start_engine(nursery, ...)
        engine.load("acme", promotions)                # build + swap in a new version
        priced = await engine.price("acme", basket, ctx)  # -> Priced(result, pset, facts)
        engine.swap("acme", new_set)                   # hot swap; in-flight requests unaffected
        engine.current("acme")                         # the set new requests will use
        engine.zones("acme")                           # the tenant's store time zones (set_zones)

A request captures the tenant's current set when it starts and carries it in every message, so
a swap never changes the rules under a request in flight; sets are immutable and shared by all
shard actors.

Pricing never runs on the event loop: the actors price in worker threads (numba kernels release
the GIL), on two lanes (actors.messages.serve_batches). Light: every basket, with the best-deal
search bounded by LIGHT_WORK_LIMIT, on each actor's own threads. Heavy: the few baskets cut
short there, priced again with the full bound (kernels.config.BEST_DEAL_WORK_LIMIT) on
``heavy_threads`` threads of their own, at a lower CPU priority (HEAVY_NICE), so one tenant's
pathological baskets wait for each other and for the CPU, not ordinary baskets for them. Every request has a deadline (``timeout_s``, DRE_PRICE_DEADLINE_MS).

Kernels in the background (``start_engine(kernels_in_background=True)``, the service's default):
the engine serves at once with the reference path while the numba kernels compile
(actors.kernel_warmup), then rebuilds every tenant's set as a KernelSet and swaps it in; a set
swapped in on the reference path after that (a reload that started earlier) is rebuilt too.
"""
from __future__ import annotations

import gc
import logging
import math
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import trio

from actors.coordinator import PRICE_TIMEOUT_S, Coordinator
from actors.deadlines import Deadlines
from actors.kernel_warmup import READY, begin_warm_up, status, warm_up_in_background
from actors.kit import mailbox, open_actor
from actors.messages import HEAVY_QUEUE, BatchObserver, serve_heavy
from actors.resolver import start_resolvers
from actors.shard import start_shard
from actors.supervisor import RestartLog, supervise
from dre.answer_facts import FactsTable
from dre.basket import Basket
from dre.evaluate import IndexedReferenceSet, ReferenceSet
from dre.pricing import PromotionSet
from dre.pricing.context import Context
from dre.pricing.result import Result
from dre.promotion.cache import no_gc
from dre.promotion.model import Promotion
from dre.zones import NO_ZONES, StoreZones

log = logging.getLogger("dre.engine")

HEAVY_THREADS = 1  # threads of the heavy lane per worker process: a pathological basket takes a
# core for up to ~15 ms; with two cores, the other stays for the event loop and the light lane


def build_promotion_set(promotions: Sequence[Promotion], version: int = 1, n_shards: int = 1, *,
                        upgrade_later: bool = False) -> PromotionSet:
    """The production PromotionSet: numba ``kernels.KernelSet`` when this process can use the
    kernels (actors.kernel_warmup.status), else the reference path (IndexedReferenceSet).

    Both implement the same interface (dre.pricing.PromotionSet) and give identical answers; the
    reference path serves while the kernels compile, or when they cannot be built.
    ``upgrade_later``: the reference path also when the kernels are ready but warmed up in the
    background (a worker's first sets): it is built in a fraction of a second, where a KernelSet
    of 100,000 promotions takes ~10 s, and the engine swaps the KernelSet in once built
    (Engine.swap, Engine.upgrade_sets).
    """
    if not builds_reference(upgrade_later):
        try:
            from kernels import KernelSet  # type: ignore[attr-defined]
        except ImportError:
            pass
        else:
            return KernelSet(promotions, version=version, n_shards=n_shards)
    return IndexedReferenceSet(promotions, version=version, n_shards=n_shards)


def _build_frozen(promotions: Sequence[Promotion], version: int, n_shards: int) -> PromotionSet:
    """:func:`build_promotion_set` (CPU: a thread), then everything that exists moved out of the
    collector's reach (as the worker does once it serves, api.serve.run_worker): a start-up set
    loaded packed (dre.evaluate.packed_set) makes its 100,000 promotions only here, ~1 million
    objects that every full collection would walk again (a pause of a fraction of a second)."""
    with no_gc():
        new = build_promotion_set(promotions, version, n_shards)
    gc.freeze()
    return new


def builds_reference(upgrade_later: bool = False) -> bool:
    """Whether :func:`build_promotion_set` builds the reference path now (IndexedReferenceSet;
    else it tries a KernelSet)."""
    return not status.usable or (upgrade_later and status.state == READY)


def implementation_name() -> str:
    """``KernelSet`` or ``IndexedReferenceSet``: what :func:`build_promotion_set` builds now."""
    return "KernelSet" if status.usable and _kernels_importable() else IndexedReferenceSet.__name__


def _kernels_importable() -> bool:
    try:
        import kernels  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def compiled(pset: PromotionSet) -> bool:
    """Whether ``pset`` prices with the numba kernels (else: the reference path)."""
    return not isinstance(pset, ReferenceSet)


@dataclass(frozen=True)
class Priced:
    """A priced basket, the promotion set it was priced with and that set's facts (names, types,
    budgets... of its promotions, as the answer and the records read them: dre.answer_facts)."""

    result: Result
    pset: PromotionSet
    facts: FactsTable


class Engine:
    """Per-tenant promotion sets plus the coordinator in front of the actors.

    Built by :func:`start_engine` / :func:`open_engine`; not constructed directly.
    """

    def __init__(self, coordinator: Coordinator, mailboxes: dict[str, trio.MemorySendChannel],
                 restarts: RestartLog, deadlines: Deadlines, hold_upgrades: bool = False) -> None:
        self._coordinator = coordinator
        self._deadlines = deadlines  # its task ends after aclose, once the last request is done
        self._mailboxes = mailboxes  # the original send ends: owned here, closed by aclose
        self.restarts = restarts
        self._sets: dict[str, PromotionSet] = {}
        self._facts: dict[str, FactsTable] = {}  # of each tenant's current set: kept with it (swap)
        self._zones: dict[str, StoreZones] = {}
        # tenants whose set is on the reference path once the kernels are ready (upgrade_sets)
        self._to_upgrade, self._upgrades = trio.open_memory_channel[str](math.inf)
        self.warm_up_scope = trio.CancelScope()  # the background warm-up and upgrades: ended by aclose
        # hold_upgrades: the kernels are not loaded nor any KernelSet built before serving() (loading
        # holds the GIL for seconds, a KernelSet of 100,000 promotions ~10 s: the rest of the
        # worker's start would crawl beside them); a compile runs in a child process meanwhile
        self._serving = trio.Event()
        if not hold_upgrades:
            self._serving.set()

    @property
    def n_shards(self) -> int:
        return self._coordinator.n_shards

    @property
    def timeout_s(self) -> float:
        """The per-request pricing deadline (DRE_PRICE_DEADLINE_MS in the service)."""
        return self._coordinator.timeout_s

    def current(self, tenant: str) -> PromotionSet:
        """The tenant's current set (an empty version-0 set for a tenant with no promotions)."""
        pset = self._sets.get(tenant)
        if pset is None:
            pset = self._sets[tenant] = build_promotion_set([], version=0, n_shards=self.n_shards)
            self._facts[tenant] = FactsTable(pset.by_id)
        return pset

    def swap(self, tenant: str, new_set: PromotionSet, *, facts: FactsTable | None = None) -> PromotionSet:
        """Make ``new_set`` the tenant's current set; returns the previous one.

        Requests already running keep the set they started with. Raises ValueError when the
        set was built for another number of shards. ``facts``: the table of a set of the same
        promotions and version (an upgrade to the kernels, :meth:`upgrade_sets`), kept as it is
        filled; else the new set starts an empty one.
        """
        if new_set.n_shards != self.n_shards:
            raise ValueError(f"set built for {new_set.n_shards} shards; the engine runs {self.n_shards}")
        old = self.current(tenant)
        self._sets[tenant] = new_set
        # empty, filled by the requests that use it: ~3 µs a promotion, which an upgrade's requests
        # would pay again for the same promotions. A kept table makes the rest from the new set's
        # (equal) promotions: the old set is not kept alive by it.
        if facts is None:
            facts = FactsTable(new_set.by_id)
        else:
            facts.promotions = new_set.by_id
        self._facts[tenant] = facts
        log.info("promotion set swapped", extra={"tenant": tenant, "version": new_set.version,
                                                 "promotions": len(new_set.ranked), "compiled": compiled(new_set)})
        if status.state == READY and not compiled(new_set):
            self._to_upgrade.send_nowait(tenant)  # built before the kernels were ready
        return old

    def pricing_path(self, tenant: str) -> str:
        """``KERNELS`` or ``REFERENCE``: what prices the tenant's requests now (heartbeat)."""
        return "KERNELS" if compiled(self.current(tenant)) else "REFERENCE"

    def kernels_ready(self) -> None:
        """The kernels are loaded: rebuild every set on the reference path (upgrade_sets)."""
        for tenant, pset in list(self._sets.items()):
            if not compiled(pset):
                self._to_upgrade.send_nowait(tenant)

    def serving(self) -> None:
        """The worker serves requests now: upgrades held back (``hold_upgrades``) may start."""
        self._serving.set()

    async def until_serving(self) -> None:
        """Return once :meth:`serving` was called (at once without ``hold_upgrades``)."""
        await self._serving.wait()

    async def upgrade_sets(self) -> None:
        """Rebuild, in a thread, the set of each tenant sent by :meth:`kernels_ready` or
        :meth:`swap` as a KernelSet of the same promotions and version, and swap it in unless the
        tenant's set changed meanwhile (then that newer set is looked at). Runs until cancelled;
        with ``hold_upgrades``, begins once :meth:`serving` was called."""
        await self._serving.wait()
        async for tenant in self._upgrades:
            pset = self._sets.get(tenant)
            if pset is None or compiled(pset):
                continue
            new = await trio.to_thread.run_sync(_build_frozen, pset.ranked, pset.version, self.n_shards)
            if self._sets.get(tenant) is pset:
                self.swap(tenant, new, facts=self._facts[tenant])
            else:
                self._to_upgrade.send_nowait(tenant)

    def zones(self, tenant: str) -> StoreZones:
        """The tenant's store time zones (none until :meth:`set_zones`): where a request's
        timestamp is read before pricing (dre.basket.local_time)."""
        return self._zones.get(tenant, NO_ZONES)

    def set_zones(self, tenant: str, zones: StoreZones) -> None:
        """Replace the tenant's store time zones (the reloader, with the promotions)."""
        self._zones[tenant] = zones

    def load(self, tenant: str, promotions: Sequence[Promotion]) -> PromotionSet:
        """Build a set one version above the current one from ``promotions`` and swap it in."""
        new = build_promotion_set(promotions, self.current(tenant).version + 1, self.n_shards)
        self.swap(tenant, new)
        return new

    async def price(self, tenant: str, basket: Basket, ctx: Context) -> Priced:
        """Price ``basket`` with the tenant's current set. Raises DREError 503 (see Coordinator)."""
        pset = self.current(tenant)
        facts = self._facts[tenant]  # the set's, taken with it: a swap meanwhile changes neither
        return Priced(await self._coordinator.price(pset, basket, ctx), pset, facts)

    async def price_with(self, pset: PromotionSet, basket: Basket, ctx: Context) -> Result:
        """Price ``basket`` with ``pset``, a set derived from a tenant's (e.g. its LOYALTY
        promotions only), on the same lanes under the same deadline. Raises DREError 503."""
        return await self._coordinator.price(pset, basket, ctx)

    async def aclose(self) -> None:
        """Close every send end this engine holds: the actors drain what is queued and stop.

        Requests arriving afterwards get 503 ENGINE_UNAVAILABLE. Idempotent.
        """
        self.warm_up_scope.cancel()
        await self._coordinator.aclose()
        for send in self._mailboxes.values():
            await send.aclose()
        self._deadlines.close()

    def mailbox_depths(self) -> dict[str, int]:
        """Messages waiting per actor mailbox (``shard-0`` .. ``resolver``, ``heavy``)."""
        return {name: s.statistics().current_buffer_used for name, s in self._mailboxes.items()}


async def start_engine(nursery: trio.Nursery, shards: int = 1, resolvers: int | None = None, *,
                       timeout_s: float = PRICE_TIMEOUT_S, observe: BatchObserver | None = None,
                       warm_up: bool = True, kernels_in_background: bool = False,
                       heavy_threads: int = HEAVY_THREADS, hold_upgrades: bool = False) -> Engine:
    """Start the shard actors, resolver workers and the heavy lane in the caller's ``nursery``.

    Args:
        shards: shard actors (every tenant's set is built with this many shards).
        resolvers: resolver workers (default: as many as shards).
        timeout_s: per-request pricing deadline: past it the request gets a 503 (its basket may
            still be priced in a thread, the answer is dropped).
        heavy_threads: threads (and workers) of the heavy lane.
        observe: called with (actor kind, batch size) for every batch (metrics).
        warm_up: compile the numba kernels (in a thread) before returning, so the first request
            does not pay for it.
        kernels_in_background: with ``warm_up``, return at once instead: the engine prices on the
            reference path until the kernels are ready (actors.kernel_warmup), then swaps.
        hold_upgrades: with ``kernels_in_background``, load no kernels and build no KernelSet
            before ``engine.serving()`` (the service calls it once hypercorn listens).

    Returns:
        the Engine. Call ``await engine.aclose()`` to let the actors drain and stop; cancelling
        ``nursery`` stops them at once.
    """
    if shards < 1 or heavy_threads < 1:
        raise ValueError("at least one shard and one heavy-lane thread")
    resolvers = resolvers or shards
    restarts = RestartLog()
    if warm_up and not kernels_in_background:
        await trio.to_thread.run_sync(_warm_up)
    mailboxes: dict[str, trio.MemorySendChannel] = {}
    heavy = mailboxes["heavy"] = await start_heavy_lane(nursery, heavy_threads, restarts)
    for s in range(shards):
        mailboxes[f"shard-{s}"] = await start_shard(nursery, s, restarts, observe=observe, heavy=heavy)
    mailboxes["resolver"] = await start_resolvers(nursery, resolvers, restarts, observe=observe, heavy=heavy)
    deadlines = Deadlines()
    nursery.start_soon(deadlines.run)
    coordinator = Coordinator([mailboxes[f"shard-{s}"] for s in range(shards)], mailboxes["resolver"], deadlines,
                              timeout_s)
    engine = Engine(coordinator, mailboxes, restarts, deadlines, hold_upgrades)
    if warm_up and kernels_in_background:
        begin_warm_up()  # now: the sets built from here on take the reference path until READY
        nursery.start_soon(_warm_up_in_background, engine)
    return engine


async def _warm_up_in_background(engine: Engine) -> None:
    with engine.warm_up_scope:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(engine.upgrade_sets)
            await warm_up_in_background(engine.kernels_ready, engine.until_serving)


async def start_heavy_lane(nursery: trio.Nursery, threads: int, restarts: RestartLog) -> trio.MemorySendChannel:
    """Start the heavy lane: ``threads`` supervised workers (actors.messages.serve_heavy, each with
    a low-priority thread of its own) on one mailbox of HEAVY_QUEUE.

    Returns the mailbox's send end: the pricing actors take clones of it (and close them when they
    end); the caller closes the original. The lane ends once every clone is closed and what is
    queued was priced (or dropped: its requester gave up). Each worker owns a clone of the
    receive end and closes it when it ends.
    """
    send, receive = mailbox(HEAVY_QUEUE)
    for w in range(threads):
        mine = receive.clone()

        async def run(mine=mine, w=w, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
            async with mine:
                await supervise(f"heavy-{w}", lambda: serve_heavy(mine), restarts, task_status=task_status)

        await nursery.start(run)
    receive.close()
    return send


def _warm_up() -> None:
    try:
        from kernels import warmup  # type: ignore[attr-defined]
    except ImportError:
        return
    warmup()


def open_engine(shards: int = 1, resolvers: int | None = None, **kwargs) -> AbstractAsyncContextManager[Engine]:
    """An engine for the duration of the block; on exit the actors drain their mailboxes and stop.

    Owns its nursery (:func:`actors.kit.open_actor`). If the block raises, the actors are
    cancelled with it. Arguments as for :func:`start_engine`.
    """
    return open_actor(start_engine, shards, resolvers, **kwargs)
