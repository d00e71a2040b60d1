"""Accepting a batch of forwarded transactions (central): concurrently, as if one after the other.

Each transaction is accepted by ``api.central.accept`` (exactly once, conflicts recorded once).
One at a time, a transaction costs about eight store round trips, and a 10,000-transaction
queue took minutes to drain. So the transactions of a batch are accepted together, CONCURRENCY
at a time: the store actor then sends their script calls in shared pipelines and merges their
commits into batched ``confirm.lua`` calls.

The verdicts stay those of the batch accepted in order. What one transaction's commit decides
depends on the others only through what they share (:func:`subjects`: a budget its commit
consumes, a coupon code, a customer's coupon uses, a sale and the returns naming it, the
transactionId itself), so a transaction waits for every earlier one of the batch that shares
one of them; two forwarded sales claiming the same code or the last of a budget are decided as
before: the earlier wins. The lease uses of the batch come first, all together
(``accept.use_leases``): for a batch of one store, a promotion is either leased to it - then no
commit of the batch consumes its budget, and the order of lease uses among themselves does not
matter - or not, and then no lease use of it writes anything. A batch that mixes stores (the
forwarder never sends one) is accepted one transaction after the other.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio

from api.central.accept import Leased, accept, use_leases
from api.services import Services
from dre.errors import DREError

CONCURRENCY = 64  # transactions of a batch in flight (the store actor merges up to 64 confirms)

Subject = tuple[str, str]


def subjects(item: dict, iteration: dict) -> set[Subject]:
    """What of central's shared state the commit of ``iteration`` (after its lease uses) reads to
    decide, or writes: its order against another transaction's commit matters only when both
    name one of these."""
    out: set[Subject] = {("transaction", item["transactionId"])}  # also: a sale its returns name
    out.update(("budget", a["promotionId"]) for a in iteration.get("applied", ()) if a.get("budget") is not None)
    codes = iteration.get("coupons") or ()
    out.update(("coupon", code) for code in codes)
    if codes and iteration.get("customerId"):  # a coupon type's uses per customer span its codes
        out.add(("customer", iteration["customerId"]))
    out.update(("transaction", original) for original in (iteration.get("returns") or {}))
    return out


def refused(item: dict, err: DREError) -> dict:
    """The verdict of a transaction central cannot commit (kept by the instance with its reason)."""
    return {"transactionId": item["transactionId"], "transactionCounter": item["transactionCounter"],
            "status": "REFUSED", "conflicts": [], "error": err.to_json()["error"]}


async def accept_batch(services: Services, tenant: str, items: list[dict]) -> list[dict]:
    """The verdicts (api.central.schemas.ForwardedVerdict) of ``items``, in their order: ACCEPTED,
    REPLAYED, or REFUSED with the error of a transaction central cannot commit.

    Raises DREError 503 when the store is unavailable (after every transaction of the batch has
    finished: the instance sends the batch again, and those committed replay)."""
    outcomes: list = [None] * len(items)  # per transaction: its verdict, or what it raised
    if len({item.get("instanceId") for item in items}) > 1:
        for i, item in enumerate(items):
            outcomes[i] = await _outcome(lambda item=item: accept(services, tenant, item))
            _raise_fatal(outcomes[i:i + 1])  # the later ones are not tried: they come again
        return _verdicts(items, outcomes)

    limit = trio.Semaphore(CONCURRENCY)
    leased: list[Leased | BaseException | None] = [None] * len(items)

    async def lease(i: int) -> None:
        async with limit:
            leased[i] = await _outcome(lambda: use_leases(services, tenant, items[i]))

    async with trio.open_nursery() as nursery:
        for i in range(len(items)):
            nursery.start_soon(lease, i)
    _raise_fatal(leased)  # nothing committed yet; the lease uses counted replay when it comes again

    done = [trio.Event() for _ in items]
    last: dict[Subject, int] = {}  # the latest transaction (so far) that names each subject

    async def commit(i: int, after: set[int]) -> None:
        try:
            for j in sorted(after):
                await done[j].wait()
            failed = next((outcomes[j] for j in sorted(after) if _fatal(outcomes[j])), None)
            if failed is not None:  # an earlier one it depends on comes again: so does this one,
                outcomes[i] = failed  # after it (committed now, it could win what that one should)
                return
            async with limit:
                outcomes[i] = await _outcome(lambda: accept(services, tenant, items[i], leased[i]))
        finally:
            done[i].set()

    async with trio.open_nursery() as nursery:
        for i, item in enumerate(items):
            step = leased[i]
            if not isinstance(step, Leased):
                outcomes[i] = step  # refused or failed at its lease step: nothing to commit
                done[i].set()
                continue
            after = set()
            for subject in subjects(item, step.iteration):
                if subject in last:
                    after.add(last[subject])
                last[subject] = i
            nursery.start_soon(commit, i, after)
    return _verdicts(items, outcomes)


async def _outcome(step: Callable[[], Awaitable]) -> object:
    """What ``step`` returned, or the exception it raised (each transaction's own)."""
    try:
        return await step()
    except Exception as exc:  # noqa: BLE001 - handed to _verdicts: a refusal, or raised there
        return exc


def _fatal(outcome: object) -> bool:
    """A store fault (503) or a bug: not a verdict on the transaction (a 4xx refusal is one)."""
    return isinstance(outcome, BaseException) and not (isinstance(outcome, DREError) and outcome.status < 500)


def _raise_fatal(outcomes: list) -> None:
    for outcome in outcomes:
        if _fatal(outcome):
            raise outcome


def _verdicts(items: list[dict], outcomes: list) -> list[dict]:
    """The batch's answer; a store fault (503) or a bug of any transaction is raised instead."""
    _raise_fatal(outcomes)
    return [refused(item, o) if isinstance(o, DREError) else o for item, o in zip(items, outcomes)]
