"""Hot reload: every worker prices with the promotions in the store, a few hundred ms after a write.

The store is the one source of truth: the tenant's promotions hash, its coupon types (their
``promotionIds`` gate promotions), its store settings (time zones, ``Engine.zones``) and a
version counter that every write bumps in the same script (``promotions_write.lua``,
``coupon_type_put.lua``, ``coupon_type_delete.lua``, ``store_settings_write.lua``).

Each worker process runs one reloader. It remembers, per tenant, the version its current
PromotionSet was built from (``PromotionSet.version``) and polls the tenant's version every
``poll_s`` (one GET per tenant, batched by the store actor with whatever else is queued; nothing
on the request path). When the version moved, it reads the promotions and coupon types, builds
the new set in a thread beside the old one (parsing and kernel compilation never block the event
loop) and swaps it into the engine. Requests in flight keep the set they started with
(``Engine.price`` captures it), so a swap fails no request. The worker that served an admin write
also calls :meth:`Reloader.refresh` before answering, so its own next evaluate already sees it.

Why polling rather than pub/sub: only the store actor talks to Redis, through a pool of
pipelined connections; a SUBSCRIBE needs a connection of its own and a reader task, and the
version check would still be needed after a reconnect (messages sent while disconnected are lost).
A GET per tenant every 100 ms costs Redis nothing measurable.

Two ways to run it (STYLE.md §2)::

    async with open_reloader(store, engine, tenants) as reloader: ...
    reloader = await start_reloader(nursery, store, engine, tenants)
"""
from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace

import orjson
import trio

from actors.engine import Engine, build_promotion_set, builds_reference
from actors.kit import ScopedActor, open_actor
from actors.store import Store
from dre.errors import DREError
from dre.evaluate.packed_set import pack_set, unpack_set
from dre.pricing import PromotionSet
from dre.promotion import Promotion, apply_coupon_gates, parse_promotion
from dre.promotion.cache import PromotionCache, no_gc
from dre.zones import store_zones

log = logging.getLogger("dre.reloader")

POLL_S = 0.1  # how often each tenant's version is checked: the bound on how stale a worker is
# (plus the rebuild time)
LOCAL_FILE_VERSION = -1  # version of a set loaded from DRE_PROMOTIONS_FILE while the store was down:
# kept while the store has no rules for the tenant (version 0), replaced once it has
MIN_CACHED = 1000  # a tenant's start-up set is cached from this many promotions (~0.1 s to validate)
READ_TIMEOUT_S = 2.0  # a version poll that takes longer is abandoned (store slow); next tick retries


def tenant_promotions(documents: Mapping[str, str], coupon_types: Sequence[Mapping], version: int,
                      parsed: Mapping[str, Promotion] | None = None) -> list[Promotion]:
    """The stored promotion JSONs, validated, gated by the coupon types (CPU: run in a thread).

    Every document was validated when it was written; one that no longer parses (written by an
    older release, or by hand) is left out with an error log rather than taking the others down.
    ``parsed``: promotions this process parsed already (ungated), by the exact document the store
    holds for them (the start-up file's seed: 100,000 promotions take ~10 s to parse again).
    """
    promotions = []
    parsed = parsed or {}
    with no_gc():
        for pid, doc in sorted(documents.items()):
            known = parsed.get(doc)
            if known is not None:
                promotions.append(known if known.version == version else replace(known, version=version))
                continue
            try:
                promotions.append(parse_promotion(orjson.loads(doc), f"promotions[{pid}]", version))
            except (DREError, orjson.JSONDecodeError) as exc:
                log.error("stored promotion skipped", extra={"promotion": pid, "error": str(exc)})
        return apply_coupon_gates(promotions, coupon_types)


def build_tenant_set(documents: Mapping[str, str], coupon_types: Sequence[Mapping], version: int,
                     n_shards: int, parsed: Mapping[str, Promotion] | None = None) -> PromotionSet:
    """The PromotionSet of :func:`tenant_promotions` (CPU: run in a thread)."""
    return build_promotion_set(tenant_promotions(documents, coupon_types, version, parsed), version, n_shards)


def without_documents(promotions: Sequence[Promotion]) -> list[Promotion]:
    """The promotions without their wire documents (``raw``: what the store holds; no set reads
    it): the cache's entry is half the size, and loads in half the time."""
    with no_gc():
        return [replace(p, raw={}) for p in promotions]


def cache_entry(promotions: Sequence[Promotion]) -> tuple:
    """What the promotion cache keeps of a validated start-up set: packed, without the wire
    documents (dre.evaluate.packed_set: a restart loads it without making 100,000 objects)."""
    return pack_set(without_documents(promotions))


@dataclass(frozen=True)
class StartSet:
    """A worker's first set of a tenant, and what to write into the cache afterwards (or None)."""

    pset: PromotionSet
    to_cache: tuple[str, str, list[Promotion]] | None


def build_start_set(documents: Mapping[str, str], coupon_types: Sequence[Mapping], version: int, n_shards: int,
                    parsed: Mapping[str, Promotion] | None, cache: PromotionCache | None, tenant: str) -> StartSet:
    """The tenant's first set in this worker (CPU: run in a thread): its promotions from the cache
    when this very store content (documents, coupon types, version) was validated by this code
    before (dre.promotion.cache), else validated now (then written to the cache later, off the
    way to the first answer). Built for the fastest start (build_promotion_set ``upgrade_later``):
    the engine swaps the compiled set in once it is built."""
    pset = to_cache = None
    if cache is None or len(documents) < MIN_CACHED:
        promotions = tenant_promotions(documents, coupon_types, version, parsed)
    else:
        kind = "set." + hashlib.blake2b(tenant.encode(), digest_size=8).hexdigest()
        key = cache.key(str(version).encode(), orjson.dumps(coupon_types, option=orjson.OPT_SORT_KEYS),
                        orjson.dumps(documents, option=orjson.OPT_SORT_KEYS))  # sorted in orjson: ~0.3 s less
        with no_gc():
            pset = unpack_set(cache.get(kind, key), version, n_shards)  # None: a miss
        if pset is None:
            promotions = tenant_promotions(documents, coupon_types, version, parsed)
            to_cache = (kind, key, promotions)
        elif not builds_reference(upgrade_later=True):  # no kernel warm-up (tests, tools): compiled now
            promotions, pset = list(pset.ranked), None
    with no_gc():
        if pset is None:
            pset = build_promotion_set(promotions, version, n_shards, upgrade_later=True)
        start = StartSet(pset, to_cache)
        # Made with the collector off, all of it would be walked by its next collections (seconds,
        # on the event loop); it lives as long as the worker: out of the collector's reach now,
        # as the worker does with everything it holds once it serves (api.serve.run_worker).
        gc.freeze()
    return start


class Reloader(ScopedActor):
    """Keeps an engine's per-tenant sets at the store's version. Built by :func:`start_reloader`.

    ``await reloader.aclose()`` stops watching (idempotent). A rebuild in progress is abandoned;
    the engine keeps its current sets.
    """

    def __init__(self, store: Store, engine: Engine, tenants: Iterable[str], poll_s: float = POLL_S,
                 parsed: Mapping[str, Promotion] | None = None, cache: PromotionCache | None = None) -> None:
        super().__init__()  # the watcher runs in self.cancel_scope
        self._parsed = parsed  # documents parsed already (build_tenant_set), until the first rebuild
        self._cache = cache  # validated start-up sets (build_start_set)
        self._started: set[str] = set()  # tenants whose first set this worker built
        self._to_cache: list[tuple[str, str, list[Promotion]]] = []  # written by write_cache
        self._store = store
        self._engine = engine
        self.tenants = tuple(dict.fromkeys(tenants))
        self.poll_s = poll_s
        self._locks = {t: trio.Lock() for t in self.tenants}
        self.rebuilds = 0  # sets built (tests, metrics)

    async def refresh(self, tenant: str) -> int:
        """Bring the tenant's set up to the store's version now; returns the version in use.

        One rebuild per tenant at a time: a caller that finds one running waits for it and then
        re-checks (usually nothing left to do). Raises DREError 503 if the store cannot be read;
        the current set stays in use then. Cancellation: the thread building a set finishes on
        its own and its result is dropped; the old set stays.
        """
        lock = self._locks.setdefault(tenant, trio.Lock())
        async with lock:
            version = await self._store.promotions.version(tenant)
            if not self._stale(tenant, version):
                return version
            # Read the version first: if a write lands between these reads, the set holds newer
            # data than its version says and the next poll simply builds it again.
            documents = await self._store.promotions.all(tenant)
            # The store's own fields (always written), not the admin document (absent for types
            # written by other tools): the gates need only the id and promotionIds.
            types = [{"id": t["id"], "promotionIds": orjson.loads(t.get("promotionIds") or "[]")}
                     for t in await self._store.coupon_types.all(tenant) if t.get("id")]
            zones = store_zones(await self._store.stores.all(tenant), await self._store.stores.default(tenant))
            if tenant in self._started:
                new = await trio.to_thread.run_sync(build_tenant_set, documents, types, version,
                                                    self._engine.n_shards, self._parsed)
            else:
                start = await trio.to_thread.run_sync(build_start_set, documents, types, version,
                                                      self._engine.n_shards, self._parsed, self._cache, tenant)
                new = start.pset
                if start.to_cache is not None:
                    self._to_cache.append(start.to_cache)
                self._started.add(tenant)
            self._parsed = None  # a start-up hand-off: not kept for the worker's lifetime
            self._engine.swap(tenant, new)  # no await between: a request sees both or neither
            self._engine.set_zones(tenant, zones)
            self.rebuilds += 1
            return version

    def _stale(self, tenant: str, version: int) -> bool:
        current = self._engine.current(tenant).version
        return version != current and not (version == 0 and current == LOCAL_FILE_VERSION)

    async def refresh_all(self) -> None:
        """:meth:`refresh` every tenant; a store failure is logged (the poll retries)."""
        for tenant in self.tenants:
            try:
                await self.refresh(tenant)
            except Exception as exc:  # noqa: BLE001 - the store is down or failed: the poll retries
                self._store.faults.record("reloader", exc)

    async def write_cache(self) -> None:
        """Write the start-up sets that were validated (not found in the cache) into it, in a
        thread, once the worker serves: the next start loads them instead. Shielded: a worker
        stopped before (or while) writing finishes the write first (seconds at 100,000
        promotions), so that a start's validation is never lost."""
        if not self._to_cache or self._cache is None:
            return
        try:
            await self._engine.until_serving()  # pickling holds the GIL: not on the way to serving
        finally:
            with trio.CancelScope(shield=True):
                while self._to_cache:
                    kind, key, promotions = self._to_cache.pop()
                    await trio.to_thread.run_sync(self._write, kind, key, promotions)

    def _write(self, kind: str, key: str, promotions: list[Promotion]) -> None:
        if self._cache is not None:
            self._cache.put(kind, key, cache_entry(promotions))

    async def watch(self) -> None:
        """Poll every tenant's version each ``poll_s`` and rebuild what moved (runs until
        cancelled). A slow version read skips the tenant for this tick."""
        while True:
            await trio.sleep(self.poll_s)
            for tenant in self.tenants:
                version = None
                with trio.move_on_after(READ_TIMEOUT_S):  # only the cheap read is bounded: a
                    # rebuild of a big set may take longer and must not be cut off and retried
                    try:
                        version = await self._store.promotions.version(tenant)
                    except DREError:
                        pass  # store down: the breaker makes the next tries cheap
                    except Exception as exc:  # noqa: BLE001 - any other fault: logged, next tick retries
                        self._store.faults.record("reloader", exc)
                if version is not None and self._stale(tenant, version):
                    try:
                        await self.refresh(tenant)
                    except Exception as exc:  # noqa: BLE001 - the current set stays; the next tick retries
                        self._store.faults.record("reloader", exc)


async def start_reloader(nursery: trio.Nursery, store: Store, engine: Engine, tenants: Iterable[str],
                         poll_s: float = POLL_S, parsed: Mapping[str, Promotion] | None = None,
                         cache: PromotionCache | None = None) -> Reloader:
    """Load every tenant's promotions from the store, then watch them in ``nursery``.

    Returns once the first load was tried (a worker starts serving with its promotions loaded;
    with the store down it starts with empty sets and the watcher loads them when it is back).
    The watcher stops with ``await reloader.aclose()`` or when ``nursery`` is cancelled (it holds no
    resources of its own).
    """
    reloader = Reloader(store, engine, tenants, poll_s, parsed, cache)

    async def run(task_status: trio.TaskStatus[Reloader] = trio.TASK_STATUS_IGNORED) -> None:
        with reloader.cancel_scope:
            await reloader.refresh_all()
            task_status.started(reloader)
            await reloader.write_cache()
            await reloader.watch()

    return await nursery.start(run)


def open_reloader(store: Store, engine: Engine, tenants: Iterable[str], poll_s: float = POLL_S,
                  cache: PromotionCache | None = None) -> AbstractAsyncContextManager[Reloader]:
    """A reloader for the duration of the block (owns its nursery; the watcher is cancelled on
    exit; :func:`actors.kit.open_actor`)."""
    return open_actor(start_reloader, store, engine, tenants, poll_s, cache=cache)
