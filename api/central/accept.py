"""Accepting a transaction a local instance confirmed (central side), exactly once.

The local instance sends the priced iteration it kept. Central keeps it under the local counter
(``sync_iteration_put.lua``) and commits it through the ordinary confirm (``api.confirm.commit``:
one atomic step; budgets consumed, coupons claimed, the side-effects job - loyalty points under
the event key ``confirm:<transactionId>/<counter>``, audit record, post-purchase coupons - queued).
A transaction sent again is a replay of that confirm: same answer, nothing consumed twice.

The sale was made at the store and stands. So when central's confirm refuses it - a budget used
up meanwhile (BUDGET_EXHAUSTED), a coupon claimed elsewhere (COUPON_UNAVAILABLE) - the refused
part is taken out of what is committed (that promotion consumes no budget; that code is not
claimed again), the conflict is recorded (``GET /admin/sync/conflicts``), and the rest is
committed. Each refusal strips one part, so this ends. A promotion the store holds a budget
lease of (``actors.sync.leases``) was sold within that lease: it consumes nothing more of the
budget and cannot conflict - unless central reclaimed that lease's rest at its expiry before
the sale arrived (``api.central.lease_expiry``): the sale, made before the expiry, then consumes
the budget itself, even past its limit (it stands), and is recorded as a conflict of type
EXPIRED_LEASE.

Strict (``POST /admin/sync/confirm``: a confirm at a local instance while central answers, judged
by central first): a refusal is the answer - nothing is stripped, nothing committed. Central
judges the leases too: a promotion the store holds a lease of is taken from the lease if it has
room for the sale (``Leases.take``, atomic, once per transaction), else it keeps its budget and
the commit consumes it, strictly (BUDGET_EXHAUSTED refuses). A commit refused gives back what was
taken in that call. The verdict names the promotions taken from the lease (``leasedPromotions``):
the instance counts exactly those against its own copy of the lease.
"""
from __future__ import annotations

from typing import NamedTuple

from actors.sync import LATE, ForwardedTransactions, Leases
from actors.sync.conflicts import TAKEN
from api.confirm.commit import confirm as confirm_iteration
from api.confirm.commit import settle
from api.services import Services
from dre.promotion import budget_limits
from dre.errors import DREError, Issue, conflict, invalid
from dre.money import to_major
from dre.store import keys
from dre.store.records import NO_LIMIT, now_ms

BUDGET, COUPON = "BUDGET_EXHAUSTED", "COUPON_UNAVAILABLE"


def _strip(iteration: dict, err: DREError) -> dict | None:
    """The conflict ``err`` names, after taking its subject out of ``iteration`` (in place); None
    when ``err`` is no conflict a forwarded sale can go on without."""
    subject = err.details[0].path if err.details else ""
    reason = err.details[0].issue if err.details else ""
    if err.code == BUDGET:
        for a in iteration.get("applied", ()):
            if a.get("promotionId") == subject and a.get("budget") is not None:
                a["budget"] = None  # committed without consuming this promotion's budget
                return {"type": "BUDGET", "promotionId": subject, "reason": reason,
                        "amount": to_major(max(0, int(a.get("amount") or 0)))}
    elif err.code == COUPON and subject in iteration.get("coupons", ()):
        iteration["coupons"] = [c for c in iteration["coupons"] if c != subject]
        return {"type": "COUPON", "code": subject, "reason": reason}
    return None


async def _use_leases(services: Services, tenant: str, item: dict, txn_key: str, iteration: dict) -> list[dict]:
    """A promotion the store sold under its lease consumes nothing more of the budget (the lease
    was taken out of it when granted): count the sale against the lease, once, and strip it.
    Returns the conflicts of sales on a lease reclaimed since (counted as consumed by the script)."""
    leases, promotions = Leases(services.store.core), services.engine.current(tenant).by_id
    late = []
    for a in iteration["applied"]:
        if a.get("budget") is None:
            continue
        pid, amount = a["promotionId"], int(a.get("amount") or 0)
        promo = promotions.get(pid)
        limits = budget_limits(promo) if promo is not None else (NO_LIMIT, NO_LIMIT)
        found = await leases.use(tenant, item["instanceId"], pid, txn_key, amount, item["confirmedAt"], limits)
        if found:
            a["budget"] = None
        if found == LATE:
            late.append({"type": "EXPIRED_LEASE", "promotionId": pid, "reason": "SOLD_ON_EXPIRED_LEASE",
                         "amount": to_major(max(0, amount))})
    return late


async def _take_leased(services: Services, tenant: str, instance: str, txn_key: str,
                       iteration: dict) -> list[dict]:
    """Strict: take the sale of each applied budgeted promotion from ``instance``'s lease where
    the lease has room for it (``Leases.take``: atomic, once per transaction); those consume
    nothing of the budget (taken out of ``iteration`` in place), the others keep it and the
    commit consumes it, strictly. Returns each applied promotion of a lease as it was, with
    ``taken`` and ``fresh`` (decided by this call: undone by :func:`_untake` if the commit is refused)."""
    leases, now, decided = Leases(services.store.core), now_ms(), []
    for a in iteration["applied"]:
        if a.get("budget") is None:
            continue
        taken, fresh = await leases.take(tenant, instance, a["promotionId"], txn_key, int(a.get("amount") or 0), now)
        if taken or fresh:  # (neither: no lease of it)
            decided.append({**a, "taken": taken, "fresh": fresh})
        if taken:
            a["budget"] = None
    return decided


async def _untake(services: Services, tenant: str, item: dict, txn_key: str, decided: list[dict]) -> None:
    """Strict, the commit refused (nothing committed): give back to the lease what
    :func:`_take_leased` took in this call. (A crash before this leaves the lease counted for no
    sale: under-used, never overrun.)"""
    leases = Leases(services.store.core)
    for a in decided:
        if a["fresh"]:
            await leases.untake(tenant, item["instanceId"], a["promotionId"], txn_key, int(a.get("amount") or 0))


def _record(item: dict, found: list[dict]) -> dict:
    """The conflict record of a forwarded transaction (api.central.schemas.ConflictRecord)."""
    return {"transactionId": item["transactionId"], "transactionCounter": item["transactionCounter"],
            "storeId": item.get("storeId"), "confirmedAt": item["confirmedAt"], "conflicts": found}


class Leased(NamedTuple):
    """A forwarded transaction's iteration after its lease step (:func:`use_leases`): what its
    commit is left to consume, the conflicts found so far, and (strict) what the leases were
    asked this time (given back if the commit is refused)."""

    iteration: dict  # a copy: promotions sold within a lease no longer carry a budget
    found: list[dict]
    decided: list[dict]


async def use_leases(services: Services, tenant: str, item: dict, strict: bool = False) -> Leased:
    """The first step of :func:`accept`: check the iteration and count its sales against the
    store's leases (once per transaction: a second call finds the first's answer); strict: take
    from each lease what it has room for, once (the rest keeps its budget: the commit judges it).

    Raises DREError: 400 (a promotion applied twice), 503 when the store is unavailable.
    """
    txn_key = keys.job_id(item["transactionId"], item["transactionCounter"])
    # forwarded: its job's audit record then reads the conflicts (a POS confirm's job need not)
    iteration = dict(item["iteration"], applied=[dict(a) for a in item["iteration"].get("applied", ())],
                     forwarded=True)
    ids = [a["promotionId"] for a in iteration["applied"]]
    if len(set(ids)) != len(ids):
        raise invalid("a promotion is applied twice in the iteration",
                      [Issue("iteration.applied", "promotionId must be unique")])
    found: list[dict] = []
    decided: list[dict] = []  # strict: what the leases were asked this time (none for a replay)
    if item.get("instanceId") and strict:
        if not await ForwardedTransactions(services.store.core).confirmed(
                tenant, item["transactionId"], item["transactionCounter"]):
            decided = await _take_leased(services, tenant, item["instanceId"], txn_key, iteration)
    elif item.get("instanceId"):
        found = await _use_leases(services, tenant, item, txn_key, iteration)
    return Leased(iteration, found, decided)


async def accept(services: Services, tenant: str, item: dict, leased: Leased | None = None, *,
                 strict: bool = False) -> dict:
    """Commit one forwarded transaction (api.central.schemas.ForwardedTransaction as a dict);
    ``leased``: its :func:`use_leases` step, when the caller ran it already (not strict);
    ``strict``: as judged (a refusal raised, nothing stripped), see the module's doc.

    Returns its verdict (ForwardedVerdict): ACCEPTED or REPLAYED, with the conflicts recorded
    (strict: and ``leasedPromotions``).
    Raises DREError: 409 TRANSACTION_ID_TAKEN (central itself issued a later counter of this
    transactionId), another 4xx of confirm (strict: its BUDGET_EXHAUSTED, COUPON_UNAVAILABLE,
    ...), 503 when the store is unavailable.
    """
    store = services.store
    txn, counter = item["transactionId"], item["transactionCounter"]
    txn_key = keys.job_id(txn, counter)
    forwarded = ForwardedTransactions(store.core)
    iteration, found, decided = leased or await use_leases(services, tenant, item, strict)
    if found and await forwarded.conflicts_of(tenant, txn_key) is None:  # kept before the commit
        await forwarded.record_conflicts(tenant, txn_key, _record(item, found))
    replay = False
    for _ in range(len(iteration["applied"]) + len(iteration.get("coupons", ())) + 1):
        kept = await forwarded.keep_iteration(tenant, txn, counter, iteration)
        if kept == TAKEN:
            await _untake(services, tenant, item, txn_key, decided)
            raise conflict("TRANSACTION_ID_TAKEN", f"transaction {txn} has a later counter at central",
                           [Issue("transactionId", "evaluated at central too: not this store's to commit")])
        replay = kept == 0
        try:
            done = await confirm_iteration(store, tenant, txn, counter)
            break
        except DREError as err:
            found_now = None if replay or strict else _strip(iteration, err)
            if found_now is None:
                await _untake(services, tenant, item, txn_key, decided)
                raise
            found.append(found_now)
            # recorded before the commit that follows: a crash in between loses no conflict
            await forwarded.record_conflicts(tenant, txn_key, _record(item, found))
    else:  # every part stripped and still refused: not a conflict this can resolve
        raise conflict("NOT_ACCEPTED", f"transaction {txn} could not be committed at central")
    settle(services, tenant, done)
    if replay:  # what the first acceptance found
        recorded = await forwarded.conflicts_of(tenant, txn_key)
        found = recorded["conflicts"] if recorded else []
    verdict = {"transactionId": txn, "transactionCounter": counter, "status": "REPLAYED" if replay else "ACCEPTED",
               "conflicts": found}
    if strict:  # which sales went against the instance's lease (it counts exactly those in its own)
        verdict["leasedPromotions"] = (
            await Leases(store.core).taken(tenant, [a["promotionId"] for a in iteration["applied"]
                                                    if a.get("budget") is not None], txn_key)
            if replay else [a["promotionId"] for a in decided if a["taken"]])
    return verdict
