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
