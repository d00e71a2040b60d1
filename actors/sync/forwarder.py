"""The forwarder: sends a local instance's pending transactions to central, in order, each once.

One task per instance (a local instance runs one worker). It takes up to BATCH transactions from
the head of the outbox, posts them to central's ``POST /admin/sync/transactions`` and settles
each with central's verdict: accepted (with any conflicts central recorded), or refused with
its reason (kept, never dropped). Central accepts by (transactionId, transactionCounter) exactly
once, so a batch sent again after a crash or a lost answer changes nothing there. While central
is away the breaker makes each try cheap and the outbox simply grows; lanes never wait for it.

It also sends the loyalty POS events the instance booked while central was away (the
``EventOutbox``), one at a time, oldest first, as the POS sent them, to central's own
``POST /posSupportAPI/loyalty/posevent``: central books each once by its replay key (member,
checkNumber, businessDate), so one sent again is answered as a replay and books nothing.

And it makes at central the coupon calls the instance answered itself while central was away (the
``CouponOutbox``: reserve, redeem, cancel, void), one at a time, in order
(``actors.sync.coupon_calls``), each before any transaction: a confirm queued after a reservation
may use it, and central's confirm then finds central's reservation as the store's found its own.
"""
from __future__ import annotations

import logging

import trio

from actors.kit import ScopedActor
from actors.sync.coupon_calls import make_at_central
from actors.sync.link import CentralLink, CentralRefused
from actors.sync.outbox import CouponOutbox, EventOutbox, Outbox
from dre.errors import DREError
from dre.store.records import now_ms

log = logging.getLogger("dre.forwarder")

BATCH = 50  # transactions per call to central
IDLE_S = 0.2  # the outbox is looked at this often when it is empty (a confirm's job also wakes it)
DOWN_S = 0.5  # pause after central (or the local store) failed
TRANSACTIONS_PATH = "/admin/sync/transactions"
POSEVENT_PATH = "/posSupportAPI/loyalty/posevent"


class Forwarder(ScopedActor):
    """Handle of the forwarding task (``await forwarder.aclose()`` stops it; a batch in flight is
    simply sent again next time)."""

    def __init__(self, outbox: Outbox, link: CentralLink, tenant: str, instance: str,
                 events: EventOutbox | None = None, coupons: CouponOutbox | None = None) -> None:
        super().__init__()
        self._outbox = outbox
        self._events = events
        self._coupons = coupons
        self._link = link
        self.tenant = tenant
        self.instance = instance  # sent with each transaction: its sales are within its leases
        self._wake = trio.Event()
        self.forwarded = 0  # transactions settled by this process (tests, metrics)

    def notify(self) -> None:
        """Something was queued: look now."""
        self._wake.set()

    async def run(self, task_status: trio.TaskStatus["Forwarder"] = trio.TASK_STATUS_IGNORED) -> None:
        with self.cancel_scope:
            task_status.started(self)
            while True:
                try:
                    # coupon calls first: a queued confirm may use a reservation among them
                    sent = await self.forward_coupons_once()
                    if not sent:
                        sent = await self.forward_once() + await self.forward_events_once()
                except DREError as err:  # central or the local store unavailable
                    log.debug("forwarding paused", extra={"error": err.message})
                    await trio.sleep(DOWN_S)
                    continue
                except (KeyError, TypeError, ValueError) as exc:  # an answer of another shape: the
                    # queue stays as it is (nothing settled), the lanes' worker stays up
                    log.error("forwarding failed", extra={"error": repr(exc)})
                    await trio.sleep(DOWN_S)
                    continue
                if not sent:
                    with trio.move_on_after(IDLE_S):
                        await self._wake.wait()
                    self._wake = trio.Event()

    async def _send(self, items: list[dict]) -> list[dict]:
        """Central's verdicts on ``items``; a lone item central refuses to read is REFUSED with the
        reason (kept in the outbox's verdicts). Raises CentralRefused for a batch of several."""
        try:
            answer = await self._link.post(TRANSACTIONS_PATH, {"transactions": [
                {**item, "instanceId": self.instance} for item in items]})
            return answer["results"]
        except CentralRefused as refused:
            if len(items) > 1:
                raise
            return [{"status": "REFUSED", "httpStatus": refused.status, "error": refused.body}]

    async def forward_once(self) -> int:
        """Send one batch from the head of the outbox and settle it. Returns how many were settled.
        Raises DREError 503 when central or the local store is unavailable (nothing settled)."""
        batch = await self._outbox.head(self.tenant, BATCH)
        if not batch:
            return 0
        try:
            verdicts = await self._send([item for _, item in batch])
        except CentralRefused:
            if len(batch) == 1:
                raise
            # one transaction central cannot read refuses the whole call: send the head alone, so
            # only that one is refused (the rest follow in the next batches)
            batch = batch[:1]
            verdicts = await self._send([batch[0][1]])
        async with trio.open_nursery() as nursery:  # one pipeline: central has them all already
            for (txn_key, _), verdict in zip(batch, verdicts):
                nursery.start_soon(self._outbox.settle, self.tenant, txn_key, verdict)
                if verdict.get("status") == "REFUSED":
                    log.warning("central refused a forwarded transaction", extra={"transaction": txn_key,
                                                                                   "verdict": verdict})
        self.forwarded += len(verdicts)
        return len(verdicts)

    async def forward_events_once(self) -> int:
        """Send the oldest pending loyalty event and settle it with central's answer (booked, a
        replay, or refused: kept with its answer). Returns how many were settled (0 or 1).
        Raises DREError 503 when central or the local store is unavailable (nothing settled)."""
        if self._events is None:
            return 0
        head = await self._events.head(self.tenant, 1)
        if not head:
            return 0
        [(key, item)] = head
        r = await self._link.relay(POSEVENT_PATH, item["body"].encode(),
                                   {"Content-Type": item["contentType"], "Accept": "application/json"})
        status = "ACCEPTED" if r.status_code == 200 else "REFUSED"
        if status == "REFUSED":
            log.warning("central refused a forwarded loyalty event", extra={"event": key, "status": r.status_code})
        await self._events.settle(self.tenant, key, {"status": status, "httpStatus": r.status_code,
                                                     "answer": r.content.decode(errors="replace")})
        return 1

    async def forward_coupons_once(self) -> int:
        """Make the oldest pending coupon call at central and settle it with central's answer
        (accepted, or refused: kept with its answer; or not sent: ``actors.sync.coupon_calls``).
        Returns how many were settled (0 or 1). Raises DREError 503 when central or the local
        store is unavailable (nothing settled)."""
        if self._coupons is None:
            return 0
        head = await self._coupons.head(self.tenant, 1)
        if not head:
            return 0
        [(call_id, call)] = head
        verdict = await make_at_central(self._link, self._coupons, self.tenant, self.instance, call_id, call, now_ms())
        if verdict["status"] == "REFUSED":
            log.warning("central refused a forwarded coupon call", extra={"call": call_id, "verdict": verdict})
        await self._coupons.settle(self.tenant, call_id, verdict)
        return 1


async def start_forwarder(nursery: trio.Nursery, outbox: Outbox, link: CentralLink, tenant: str,
                          instance: str, events: EventOutbox | None = None,
                          coupons: CouponOutbox | None = None) -> Forwarder:
    """Start forwarding ``tenant``'s outbox (and its loyalty ``events`` and ``coupons`` calls) in
    ``nursery`` as ``instance``; stop with ``await forwarder.aclose()``."""
    return await nursery.start(Forwarder(outbox, link, tenant, instance, events, coupons).run)
