"""A local instance's pending transactions: confirmed here, not yet accepted by central.

Every local confirm queues its side-effects job in the same atomic step as the confirm itself
(``confirm.lua``); in local mode that job's handler is :class:`QueueForCentral`, which moves the
transaction into the outbox (``outbox_add.lua``: once, however often the job runs). The forwarder
(``actors.sync.forwarder``) sends the head to central and settles it with central's verdict
(``outbox_settle.lua``). All of it lives in the local Redis (AOF, fsync always), so a ``kill -9``
or a power cut loses nothing that was acknowledged to a lane.
"""
from __future__ import annotations

import orjson

from actors.store import Store
from actors.store_ops.base import StorePart
from dre.side_effects import JobPayload
from dre.store import keys, sync_keys
from dre.store.records import ClaimedJob


class Outbox(StorePart):
    """``Outbox(store.core)``: the FIFO of pending transactions and the verdicts of settled ones."""

    def _keys(self, tenant: str) -> list[str]:
        return [sync_keys.outbox(tenant), sync_keys.outbox_items(tenant), sync_keys.outbox_settled(tenant)]

    async def add(self, tenant: str, txn_key: str, item: dict) -> bool:
        """Queue ``item`` under ``txn_key`` (transactionId/counter). False: queued or settled before."""
        s = self._core.scripts.outbox_add
        return await self._core.call_script(s, self._keys(tenant), [txn_key, orjson.dumps(item).decode()],
                                            lambda r: bool(int(r)))

    async def head(self, tenant: str, n: int) -> list[tuple[str, dict]]:
        """The first ``n`` pending transactions, oldest first: [(txn_key, item)]."""
        queue, items, _ = self._keys(tenant)
        ids = await self._core.call(lambda p: p.lrange(queue, 0, n - 1))
        if not ids:
            return []
        docs = await self._core.call(lambda p: p.hmget(items, ids))
        return [(i, orjson.loads(d)) for i, d in zip(ids, docs) if d is not None]

    async def accepted(self, tenant: str, txn_key: str, verdict: dict) -> bool:
        """Keep central's ``verdict`` on a transaction it accepted before it was committed here (a
        confirm judged by central first): it is never queued nor counted as pending. False: it
        is queued already (the forwarder settles it; central answers it as a replay)."""
        items, settled = self._keys(tenant)[1:]
        return await self._core.call_script(self._core.scripts.outbox_accepted, [items, settled],
                                            [txn_key, orjson.dumps(verdict).decode()], lambda r: bool(int(r)))

    async def settle(self, tenant: str, txn_key: str, verdict: dict) -> bool:
        """Take ``txn_key`` off the queue, keeping ``verdict``. False: it was not pending."""
        s = self._core.scripts.outbox_settle
        return await self._core.call_script(s, self._keys(tenant), [txn_key, orjson.dumps(verdict).decode()],
                                            lambda r: bool(int(r)))

    async def length(self, tenant: str) -> int:
        queue = self._keys(tenant)[0]
        return await self._core.call(lambda p: p.llen(queue), int)

    async def pending(self, tenant: str) -> int:
        """Transactions confirmed here and not yet accepted by central: in the outbox, or still on
        their way into it (their side-effects job is queued or running; one that is running and
        already in the outbox is counted once)."""
        k = [*self._keys(tenant), *keys.job_buckets(tenant)]
        return await self._core.call_script(self._core.scripts.outbox_pending, k, [], int)

    async def verdicts(self, tenant: str) -> dict[str, dict]:
        """Every settled transaction's verdict, by transactionId/counter."""
        key = self._keys(tenant)[2]
        raw = await self._core.call(lambda p: p.hgetall(key))
        return {k: orjson.loads(v) for k, v in raw.items()}


class EventOutbox(Outbox):
    """``EventOutbox(store.core)``: loyalty POS events a local instance booked while central was
    away, queued once per replay key (``outbox_add.lua``) until central answered them
    (``outbox_settle.lua``); the same scripts as the confirms' outbox, on keys of its own."""

    def _keys(self, tenant: str) -> list[str]:
        return [sync_keys.event_outbox(tenant), sync_keys.event_outbox_items(tenant),
                sync_keys.event_outbox_settled(tenant)]

    async def pending(self, tenant: str) -> int:
        """Events booked here and not yet answered by central."""
        return await self.length(tenant)


class CouponOutbox(Outbox):
    """``CouponOutbox(store.core)``: coupon calls a local instance answered while central was away
    that changed a code (reserve, redeem, cancel, void), queued in the same atomic step as the
    change (``queue_for_central`` in the coupon scripts, ``actors.store_ops.coupons.for_central``),
    once per call id, until central answered them (``outbox_settle.lua``)."""

    def _keys(self, tenant: str) -> list[str]:
        return [sync_keys.coupon_outbox(tenant), sync_keys.coupon_outbox_items(tenant),
                sync_keys.coupon_outbox_settled(tenant)]

    async def pending(self, tenant: str) -> int:
        """Coupon calls answered here and not yet answered by central."""
        return await self.length(tenant)

    async def queued(self, tenant: str, call_id: str) -> bool:
        """Is ``call_id`` still waiting for central?"""
        items = self._keys(tenant)[1]
        return await self._core.call(lambda p: p.hexists(items, call_id), bool)

    async def verdict(self, tenant: str, call_id: str) -> dict | None:
        """Central's answer to a settled call (None: not settled)."""
        settled = self._keys(tenant)[2]
        return await self._core.call(lambda p: p.hget(settled, call_id), lambda r: orjson.loads(r) if r else None)


ACCEPTED_BY_CENTRAL = "acceptedByCentral"  # JobPayload.extra: central accepted it before the commit here


def forwarded_item(txn_id: str, counter: int, confirmed_at: int, store_id: str | None, iteration: str | None) -> dict:
    """What is sent to central of a transaction confirmed here (api.central.schemas.ForwardedTransaction,
    without the instance): the priced iteration as this instance kept it (JSON)."""
    return {"transactionId": txn_id, "transactionCounter": counter, "confirmedAt": confirmed_at, "storeId": store_id,
            "iteration": orjson.loads(iteration) if iteration else None}


class QueueForCentral:
    """The side-effects job handler of a local instance: queue the confirmed iteration for central.

    Central runs the effects (loyalty points, coupon redemptions, audit record, post-purchase
    coupons) when it accepts the transaction, under the same idempotency keys as a confirm made
    there; the local instance runs none of them, so nothing happens in two places. A transaction
    central accepted before it was committed here (``ACCEPTED_BY_CENTRAL``) is not queued.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._outbox = Outbox(store.core)

    async def __call__(self, tenant: str, job: ClaimedJob) -> str:
        p = JobPayload.from_json(job.payload)
        if p.extra.get(ACCEPTED_BY_CENTRAL):
            forwarding = "ACCEPTED_BY_CENTRAL"
        else:  # the priced iteration as this instance kept it (kept a day: the job runs at once)
            iteration = await self._store.transactions.iteration(tenant, p.transactionId, p.transactionCounter)
            item = forwarded_item(p.transactionId, p.transactionCounter, p.confirmedAt, p.storeId, iteration)
            forwarding = "QUEUED" if await self._outbox.add(tenant, p.job_id, item) else "ALREADY_QUEUED"
        return orjson.dumps({"forwarding": forwarding,
                             "couponRedemptions": [{"code": c, "status": "REDEEMED"} for c in p.coupons]}).decode()
