"""A local instance's background work, started with the worker in local mode (DRE_MODE=local):
the link to central, the syncer (sync down) and the forwarder (pending transactions up); and
what the heartbeat says about them.

The instance serves one tenant, the first of DRE_API_KEYS (its store's lanes); at central that
is the tenant of DRE_CENTRAL_KEY, an admin key. Confirms are committed in the local store and
their side-effects jobs move them into the outbox (``actors.sync.QueueForCentral``), whence the
forwarder sends them to central: at once while central answers, later when it is away.
Coupon calls and loyalty events are passed on to central while it answers (``relay_call``,
``relay_event``); coupon codes of types without ``offlinePolicy: ACCEPT`` are refused while it
is away (``refused_types``), and the coupon calls it answers itself then are queued and made at
central by the forwarder when it is back (``actors.sync.coupon_calls``); and when the instance
stops it gives back what it did not sell of its budget leases. A confirm is judged by central
first while it answers (``confirm_at_central``): central's refusal is the lane's, and a confirm
central accepted is committed here as accepted, never queued; while central is away (or slow)
it is committed here and queued, as above.
"""
from __future__ import annotations

import logging
from collections.abc import Container
from dataclasses import dataclass

import httpx
import orjson
import trio

from actors.store import Store
from actors.sync import (
    CentralLink, CentralRefused, CouponOutbox, EventOutbox, Forwarder, Outbox, SyncState, open_central_link,
    start_forwarder,
)
from actors.sync.forwarder import POSEVENT_PATH
from actors.sync.link import central_error
from actors.sync.outbox import forwarded_item
from api.local.sync import Syncer
from dre.clock import iso_ms
from dre.config import Config
from dre.errors import DREError
from dre.store import keys

log = logging.getLogger("dre.local")

STORE_RETRY_S = 0.5  # the local store is asked again this often until it answers (start-up)
GIVE_BACK_S = 5.0  # at shutdown, how long giving back the unused leases may take
ACCEPT = "ACCEPT"  # the offlinePolicy that honours a coupon type's codes while central is away
CONFIRM_PATH = "/admin/sync/confirm"  # central judges a confirm made here (strict) before it is committed here


class EveryType:
    """Every coupon type id (``in`` is always true): what is refused when the types cannot be read."""

    def __contains__(self, type_id: object) -> bool:
        return True


@dataclass
class LocalInstance:
    """Handle of the local-mode tasks (``await instance.aclose()`` stops them)."""

    tenant: str
    store: Store
    link: CentralLink
    syncer: Syncer
    forwarder: Forwarder
    cancel_scope: trio.CancelScope
    stopped: trio.Event  # set once the tasks ended and the leases were given back (or not)
    confirm_timeout_s: float = 0.3  # DRE_CENTRAL_CONFIRM_MS: a slower verdict counts as central away

    async def pending(self) -> int:
        """Transactions confirmed here and not yet accepted by central: in the outbox, or still
        on their way into it (their side-effects job waits). Raises DREError 503 (local store)."""
        return await Outbox(self.store.core).pending(self.tenant)

    async def refused_types(self) -> Container[str]:
        """The coupon types whose codes are not honoured now: none while central answers (the
        codes are as fresh as the last pull); while it is away, every type whose
        ``offlinePolicy`` is not ACCEPT (absent means REFUSE: a code honoured here could be
        honoured at another store too). Types that cannot be read count as refused."""
        if self.link.connected:
            return frozenset()
        try:
            types = await self.store.coupon_types.all(self.tenant)
        except DREError:
            return EveryType()
        return frozenset(t["id"] for t in types if t.get("id") and t.get("json")
                         and orjson.loads(t["json"]).get("offlinePolicy") != ACCEPT)

    async def relay_event(self, body: bytes, content_type: str, accept: str | None) -> httpx.Response | None:
        """Central's answer to a loyalty POS event passed on as the POS sent it (points are
        central's: the answer is too), or None while central is away (refused, slow, a 5xx,
        the breaker open): then the instance books it itself and queues it (:meth:`queue_event`)."""
        headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
        try:
            return await self.link.relay(POSEVENT_PATH, body, headers)
        except DREError:
            return None

    async def relay_call(self, path: str, body: bytes, idempotency_key: str | None) -> httpx.Response:
        """Central's answer to a POS call passed on as it came (a 4xx included: central judged
        it), with its Idempotency-Key. Raises DREError 503 CENTRAL_UNAVAILABLE while central is
        away."""
        headers = {"Content-Type": "application/json",
                   **({"Idempotency-Key": idempotency_key} if idempotency_key else {})}
        return await self.link.relay(path, body, headers)

    async def confirm_at_central(self, txn_id: str, counter: int, confirmed_at: int, store_id: str | None,
                                 iteration: str) -> dict | None:
        """Central's verdict (ACCEPTED or REPLAYED: committed there, exactly once) on a confirm of
        the priced ``iteration`` (JSON, as kept here), judged by central first; it is kept as the
        transaction's settled verdict, so the commit here is never queued for central. None while
        central is away (refused, slower than ``confirm_timeout_s``, a 5xx, the breaker open), when
        central cannot read it (a 4xx other than 409), or while transactions or coupon calls are
        pending here (not sent: it must not overtake them): then it is committed here and queued (if central did
        commit it, the queued copy is a replay there).

        Raises:
            DREError: central's refusal (409 BUDGET_EXHAUSTED, COUPON_UNAVAILABLE, ...) as central
                gave it: nothing was committed there, nothing is here. 503 (the local store).
        """
        if await self.pending() or await CouponOutbox(self.store.core).pending(self.tenant):
            # queued ahead of it (an outage's sales or coupon calls not drained yet): it goes
            # behind them, in order (a return of such a sale, a code reserved here then, needs them at central first)
            return None
        item = {**forwarded_item(txn_id, counter, confirmed_at, store_id, iteration),
                "instanceId": self.forwarder.instance}
        try:
            verdict = await self.link.post(CONFIRM_PATH, item, timeout_s=self.confirm_timeout_s)
        except DREError:
            return None
        except CentralRefused as refused:
            if refused.status == 409:
                raise central_error(refused.status, refused.body) from None
            log.warning("central could not judge a confirm: committed here and queued",
                        extra={"transaction": keys.job_id(txn_id, counter), "status": refused.status})
            return None
        await Outbox(self.store.core).accepted(self.tenant, keys.job_id(txn_id, counter), verdict)
        return verdict

    async def queue_event(self, key: str, body: bytes, content_type: str) -> None:
        """Queue a loyalty event booked here for central, once per replay ``key`` (the forwarder
        sends it when central answers). Raises DREError 503 (the POS retries: the booking here
        replays)."""
        await EventOutbox(self.store.core).add(self.tenant, key, {"contentType": content_type,
                                                                  "body": body.decode("utf-8", "replace")})
        self.forwarder.notify()

    async def heartbeat(self, timeout_s: float) -> dict:
        """The heartbeat fields that describe the link to central (see api.ops.routes)."""
        pending = events = coupons = None
        with trio.move_on_after(timeout_s):
            try:
                pending = await self.pending()
                events = await EventOutbox(self.store.core).pending(self.tenant)
                coupons = await CouponOutbox(self.store.core).pending(self.tenant)
            except DREError:
                pass
        connected = self.link.connected
        return {
            "mode": "ONLINE" if connected else "OFFLINE",
            "btpConnectivity": "CONNECTED" if connected else "DISCONNECTED",
            "lastSync": iso_ms(self.syncer.last_sync_ms) if self.syncer.last_sync_ms else None,
            "pendingTransactions": pending,
            "pendingLoyaltyEvents": events,
            "pendingCouponCalls": coupons,
            "circuitBreaker": self.link.state,
        }

    async def aclose(self) -> None:
        """Stop syncing and forwarding, and give back the unused rest of every budget lease while
        central answers (at most GIVE_BACK_S; with central away the leases stay, so that a restart
        during an outage still sells within them)."""
        self.cancel_scope.cancel()
        with trio.CancelScope(shield=True):
            await self.stopped.wait()


async def _give_back(syncer: Syncer, link: CentralLink) -> None:
    """Give back the unused leases, if central answers (else they stay: a restart during an
    outage still sells within them)."""
    if not link.connected:
        return
    try:
        await syncer.give_back_leases()
    except (DREError, CentralRefused) as err:
        log.warning("leases not given back at shutdown", extra={"error": repr(err)})


async def _instance_id(store: Store, tenant: str) -> str:
    """This instance's id (kept in its store), once the store answers."""
    while True:
        try:
            return await SyncState(store.core).instance_id(tenant)
        except DREError:
            await trio.sleep(STORE_RETRY_S)


async def start_local(nursery: trio.Nursery, config: Config, store: Store) -> LocalInstance:
    """Open the link to central and start the syncer and the forwarder in ``nursery``; returns
    once the local store answered (central need not be up). Stop with ``await instance.aclose()`` before the store."""
    assert config.central_url and config.central_key  # dre.config checked them for local mode
    tenant = config.first_tenant

    async def run(task_status: trio.TaskStatus[LocalInstance] = trio.TASK_STATUS_IGNORED) -> None:
        scope, stopped = trio.CancelScope(), trio.Event()
        try:
            with scope:
                instance = await _instance_id(store, tenant)
                async with open_central_link(config.central_url, config.central_key) as link:
                    syncer = Syncer(store, link, tenant, instance)
                    try:
                        async with trio.open_nursery() as tasks:
                            await tasks.start(syncer.run)
                            forwarder = await start_forwarder(tasks, Outbox(store.core), link, tenant, instance,
                                                              EventOutbox(store.core), CouponOutbox(store.core))
                            task_status.started(LocalInstance(tenant, store, link, syncer, forwarder, scope, stopped,
                                                              config.central_confirm_ms / 1000))
                    finally:  # stopped: give back what this instance will not sell
                        with trio.CancelScope(shield=True), trio.move_on_after(GIVE_BACK_S):
                            await _give_back(syncer, link)
        finally:
            stopped.set()

    return await nursery.start(run)
