"""Sync down: a local instance pulls central's delta feed and writes it into its own store.

Every SYNC_POLL_S the syncer asks central's ``GET /admin/sync/feed`` for what changed after its
cursor (kept in the local store, so a restart pulls only the delta) and applies each page: a new
promotion set (coupon types first: they gate promotions; then the promotions that differ; then
the removal of those central no longer has; the store settings - time zones - with them: the
local reloader sets ``Engine.zones`` from them), the changed articles, and central's used-up
budgets (added to the local exhausted set), and the INDIVIDUAL coupon codes that changed
(``SyncState.put_codes``: honoured offline by their type's ``offlinePolicy``). Each pull also brings this instance's budget leases
(``actors.sync.leases``, granted or renewed by central as it answers): every budgeted promotion
is stored with its budget limited to the lease, so the instance's own confirms - online or
offline - sell it only within what central leased it, and only until the lease expires
(``actors.sync.lease_returns``: checked every poll, online or not; each pull renews it). The local reloader then
picks the new promotions version up as it does after an admin write. ``lastSync`` is the time
the last pull that reached the end of the feed finished. While central is away the instance
prices with what it synced last.
"""
from __future__ import annotations

import logging

import orjson
import trio

from actors.kit import ScopedActor
from actors.sync import CentralLink, CentralRefused, LeaseReturns, SyncState
from actors.store import Store
from dre.errors import DREError
from dre.promotion import budget_limits, parse_promotion
from dre.store.records import now_ms
from dre.wire.coupon_type import CouponTypeIn

log = logging.getLogger("dre.sync")

SYNC_POLL_S = 1.0  # how often central's feed is asked (a lane sees a central write within ~this)
FEED_PATH = "/admin/sync/feed"
RETURN_PATH = "/admin/sync/leases/return"
MAX_PAGES = 100  # pages per round (then the next round goes on: other work gets a turn)


def leased(doc: dict, lease: dict | None) -> dict:
    """``doc`` (as central sent it) with its budget limits replaced by the instance's lease (what
    it may sell of the budget: its local budget counters count every sale it made); unchanged
    without a lease. A lease of nothing (the budget was all leased or sold before this store
    asked) is no valid budget: the promotion is then stored INACTIVE here until a lease comes."""
    if lease is None or not doc.get("budget"):
        return doc
    budget = dict(doc["budget"])
    for limit in ("amount", "redemptions"):
        if lease.get(limit) is not None:
            budget[limit] = lease[limit]
    if any(lease.get(limit) == 0 for limit in ("amount", "redemptions")):
        return {**doc, "budget": doc["budget"], "status": "INACTIVE"}
    return {**doc, "budget": budget}


async def _put(store: Store, tenant: str, current: dict[str, str], doc: dict) -> None:
    """Write ``doc`` unless the stored one is the same (an unchanged doc does not move the version)."""
    text = orjson.dumps(doc).decode()
    if current.get(doc["id"]) != text:
        promo = parse_promotion(doc, f"promotions[{doc['id']}]")
        await store.promotions.put(tenant, promo.id, text, budget_limits(promo))


async def apply_leases(store: Store, tenant: str, leases: dict[str, dict]) -> None:
    """Put renewed leases into the stored promotions' budgets (applied to central's documents)."""
    if not leases:
        return
    central = await SyncState(store.core).central_promotions(tenant)
    current = await store.promotions.all(tenant)
    for pid, lease in leases.items():
        if pid in central and pid in current:
            await _put(store, tenant, current, leased(orjson.loads(central[pid]), lease))


async def apply_rules(store: Store, tenant: str, promotions: list[dict], coupon_types: list[dict],
                      leases: dict[str, dict] | None = None) -> None:
    """Make the tenant's promotions and coupon types those of central, each budget limited to
    the instance's lease (written only where they differ, so an unchanged set does not move the
    local version)."""
    leases = leases or {}
    await SyncState(store.core).keep_central_promotions(
        tenant, {d["id"]: orjson.dumps(d).decode() for d in promotions})
    wanted_types = {t["id"]: t for t in coupon_types}
    for t in coupon_types:
        await store.coupon_types.put_validated(tenant, CouponTypeIn.model_validate(t), create_only=False)
    for t in await store.coupon_types.all(tenant):
        if t.get("id") and t["id"] not in wanted_types:
            await store.coupon_types.delete(tenant, t["id"])
    current = await store.promotions.all(tenant)
    for doc in promotions:
        await _put(store, tenant, current, leased(doc, leases.get(doc["id"])))
    for gone in set(current) - {d["id"] for d in promotions}:
        await store.promotions.delete(tenant, gone)


async def apply_store_settings(store: Store, tenant: str, settings: dict) -> None:
    """Make the tenant's store settings (time zones: each store's and the default) those of
    central, written only where they differ. Each write moves the local promotions version, so
    the reloader rebuilds ``Engine.zones`` as after ``PUT /admin/stores/{storeId}``."""
    wanted = {sid: orjson.dumps(doc).decode() for sid, doc in (settings.get("stores") or {}).items()}
    current = await store.stores.all(tenant)
    for sid, text in wanted.items():
        if current.get(sid) != text:
            await store.stores.put(tenant, sid, text)
    for gone in set(current) - set(wanted):
        await store.stores.delete(tenant, gone)
    default = settings.get("default")
    text = orjson.dumps(default).decode() if default is not None else None
    if await store.stores.default(tenant) != text:
        await store.stores.put_default(tenant, text)


class Syncer(ScopedActor):
    """Pulls central's feed for one tenant (``await syncer.aclose()`` stops it)."""

    def __init__(self, store: Store, link: CentralLink, tenant: str, instance: str,
                 poll_s: float = SYNC_POLL_S) -> None:
        super().__init__()
        self.instance = instance  # this instance's id at central: its leases
        self._store = store
        self._state = SyncState(store.core)
        self._returns = LeaseReturns(store.core)
        self._link = link
        self.tenant = tenant
        self.poll_s = poll_s
        self.last_sync_ms: int | None = None  # also in the store; here for the heartbeat

    async def run(self, task_status: trio.TaskStatus["Syncer"] = trio.TASK_STATUS_IGNORED) -> None:
        with self.cancel_scope:
            try:
                _, self.last_sync_ms = await self._state.get(self.tenant)
            except DREError:
                pass  # local store not up yet: the first pull reads it again
            task_status.started(self)
            while True:
                try:  # first, and also while central is away: an expired lease sells nothing more
                    await self._returns.release_expired(self.tenant, now_ms())
                except DREError as err:
                    log.debug("lease expiry check skipped", extra={"error": err.message})
                try:
                    await self.pull()
                except DREError as err:  # central (or the local store) away: price with what we have
                    # a 4xx (a promotion this release cannot read) is worth an operator's look
                    (log.debug if err.status >= 500 else log.warning)("sync skipped", extra={"error": err.message})
                except CentralRefused as refused:  # e.g. a central without the feed (older release)
                    log.warning("sync refused by central", extra={"status": refused.status, "error": refused.body})
                except (KeyError, TypeError, ValueError) as exc:  # an answer of another shape: keep
                    # selling with what we have rather than take the lanes' worker down
                    log.error("sync failed", extra={"error": repr(exc)})
                await trio.sleep(self.poll_s)

    async def send_returns(self) -> int:
        """Send the lease returns released here and not yet taken back (``actors.sync.lease_returns``)
        to central; forget those it took. Returns how many were sent. Raises DREError 503."""
        pending = await self._returns.pending(self.tenant)
        if pending:
            answer = await self._link.post(RETURN_PATH, {"instanceId": self.instance, "returns": pending})
            await self._returns.settle(self.tenant, [r["returnId"] for r in answer["results"]])
        return len(pending)

    async def give_back_leases(self) -> int:
        """Give back the unused rest of every lease (on shutdown, while central answers): released
        here first (nothing sells it any more), then sent. Returns the promotions released.
        Raises DREError 503 (what was released stays pending: sent by the next pull)."""
        released = await self._returns.release_all(self.tenant)
        await self.send_returns()
        return released

    async def pull(self) -> int:
        """Pull and apply pages until the feed has no more (at most MAX_PAGES), after sending the
        pending lease returns (a renewal then knows of them). Returns the pages applied. Raises
        DREError 503 when central or the local store is unavailable."""
        await self.send_returns()
        cursor, _ = await self._state.get(self.tenant)
        for n in range(1, MAX_PAGES + 1):
            params = {"instance": self.instance, **({"cursor": cursor} if cursor else {})}
            page = await self._link.get(FEED_PATH, params)
            leases = page.get("leases") or {}
            await self._returns.keep(self.tenant, leases)
            if page["promotions"] is not None:
                await apply_rules(self._store, self.tenant, page["promotions"], page["couponTypes"] or [], leases)
            else:
                await apply_leases(self._store, self.tenant, leases)
            if page.get("storeSettings") is not None:  # absent from an older central: kept as they are
                await apply_store_settings(self._store, self.tenant, page["storeSettings"])
            if page["articles"]:
                await self._store.articles.upsert(
                    self.tenant, [(a["articleNumber"], orjson.dumps(a).decode()) for a in page["articles"]])
            if page.get("codes"):  # absent from an older central
                await self._state.put_codes(self.tenant, page["codes"])
            await self._state.mark_exhausted(self.tenant, page.get("exhaustedBudgets") or [])
            cursor = page["cursor"]
            done = not page["more"]
            now = now_ms() if done else None
            await self._state.put(self.tenant, cursor, now)
            if done:
                self.last_sync_ms = now
                return n
        return MAX_PAGES
