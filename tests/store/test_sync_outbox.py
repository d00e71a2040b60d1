"""actors.sync.forwarder on a real store: the outbox drains in order, each transaction settled
once with central's verdict; one that central cannot read is refused alone and kept, not dropped.
(Central is a stand-in link here; the real one: tests/local.)"""
from __future__ import annotations

import orjson

from actors.sync import CentralRefused, Outbox
from actors.sync.forwarder import Forwarder


class Central:
    """Accepts every transaction but "BAD", which makes the whole call a 400 (as a body central's
    validation refuses would)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def post(self, path: str, body: dict) -> dict:
        ids = [t["transactionId"] for t in body["transactions"]]
        self.calls.append(ids)
        assert all(t["instanceId"] == "inst-1" for t in body["transactions"])
        if "BAD" in ids:
            raise CentralRefused(400, {"error": {"code": "INVALID_INPUT"}})
        return {"results": [{"transactionId": i, "transactionCounter": 1, "status": "ACCEPTED", "conflicts": []}
                            for i in ids]}


async def test_outbox_drains_in_order_and_a_bad_transaction_is_refused_alone(store, tenant):
    outbox = Outbox(store.core)
    for txn in ("A", "BAD", "C"):
        assert await outbox.add(tenant, f"{txn}/1", {"transactionId": txn})
    assert not await outbox.add(tenant, "A/1", {"transactionId": "A"})  # a job run twice queues once
    assert await outbox.pending(tenant) == 3
    central = Central()
    forwarder = Forwarder(outbox, central, tenant, "inst-1")  # type: ignore[arg-type]
    assert [await forwarder.forward_once() for _ in range(4)] == [1, 1, 1, 0]
    assert central.calls == [["A", "BAD", "C"], ["A"], ["BAD", "C"], ["BAD"], ["C"]]
    verdicts = await outbox.verdicts(tenant)
    assert {k: v["status"] for k, v in verdicts.items()} == {"A/1": "ACCEPTED", "BAD/1": "REFUSED", "C/1": "ACCEPTED"}
    assert verdicts["BAD/1"]["httpStatus"] == 400 and await outbox.pending(tenant) == 0
    assert not await outbox.add(tenant, "BAD/1", {"transactionId": "BAD"})  # settled: never queued again


async def test_a_confirmed_iteration_moves_into_the_outbox_once_with_what_was_priced(store, tenant):
    from actors.sync import QueueForCentral
    from dre.side_effects import JobPayload
    from dre.store.records import ClaimedJob

    iteration = {"applied": [{"promotionId": "P", "amount": 100}], "coupons": [], "response": {"totals": {}}}
    assert await store.transactions.next_counter(tenant, "T1", orjson.dumps(iteration).decode()) == 1
    payload = JobPayload(transactionId="T1", transactionCounter=1, confirmedAt=5, customerId=None, member=None,
                         points=0, coupons=("C1",), promotions=(), grants=(), totals={}, storeId="S1")
    handler = QueueForCentral(store)
    job = ClaimedJob("T1/1", 1, payload.to_json())
    first, again = orjson.loads(await handler(tenant, job)), orjson.loads(await handler(tenant, job))
    assert (first["forwarding"], again["forwarding"]) == ("QUEUED", "ALREADY_QUEUED")  # a job run twice
    [(key, item)] = await Outbox(store.core).head(tenant, 10)
    assert key == "T1/1" and item == {"transactionId": "T1", "transactionCounter": 1, "confirmedAt": 5,
                                      "storeId": "S1", "iteration": iteration}


async def test_loyalty_events_drain_one_at_a_time_and_a_refused_one_is_kept_with_its_answer(store, tenant):
    import httpx

    from actors.sync import EventOutbox
    from dre.errors import DREError

    class Posevent:
        """Books the first event, refuses the second (409), is away once in between."""

        def __init__(self) -> None:
            self.bodies: list[bytes] = []
            self.away = True

        async def relay(self, path: str, content: bytes, headers: dict) -> httpx.Response:
            assert path == "/posSupportAPI/loyalty/posevent" and headers["Content-Type"] == "application/xml"
            if self.away and self.bodies:
                self.away = False
                raise DREError(503, "CENTRAL_UNAVAILABLE", "away")
            self.bodies.append(content)
            return httpx.Response(200 if len(self.bodies) == 1 else 409, content=b"<answer/>")

    events = EventOutbox(store.core)
    for key in ("e1", "e2"):
        assert await events.add(tenant, key, {"contentType": "application/xml", "body": f"<{key}/>"})
    assert not await events.add(tenant, "e1", {"contentType": "application/xml", "body": "<e1/>"})  # once per key
    central = Posevent()
    forwarder = Forwarder(Outbox(store.core), central, tenant, "inst-1", events)  # type: ignore[arg-type]
    assert await forwarder.forward_events_once() == 1
    try:
        await forwarder.forward_events_once()
        raise AssertionError("central away must raise")
    except DREError:
        assert await events.pending(tenant) == 1  # nothing settled: sent again later
    assert [await forwarder.forward_events_once() for _ in range(2)] == [1, 0]
    assert central.bodies == [b"<e1/>", b"<e2/>"]
    verdicts = await events.verdicts(tenant)
    assert {k: (v["status"], v["httpStatus"]) for k, v in verdicts.items()} == {
        "e1": ("ACCEPTED", 200), "e2": ("REFUSED", 409)}
    assert verdicts["e2"]["answer"] == "<answer/>"
