"""Confirm: commit the priced result of the latest evaluate iteration, all or nothing.

The route has validated the body; this module decides nothing itself. The store's confirm script
judges the confirm (the one judge: replay, other counter confirmed, stale, never issued, expired)
and hands over the kept iteration; this module turns it into what the script's commit consumes
(budgets of applied promotions, coupons the iteration used), shapes the answer and the
side-effects job, and calls it again, which judges again in the same atomic step as the writes.
Each refusal reaches the client as dre.store.replies.CONFIRM_REFUSALS words it. The store keeps
the first answer: a replay of the same (transactionId, transactionCounter) gets the same bytes back
and consumes nothing (the answer's ``sideEffects.status`` is therefore the one of the first
answer, PENDING; ``sideEffects.href`` gives the live state).

At a store's local instance, while central answers, central judges the confirm first
(:class:`CentralJudge`, ``api.local``): its refusal is raised as central gave it and nothing is
committed; once it accepted, the commit here cannot undo its verdict. Central judged the budgets
too, this store's lease among them: the commit here counts exactly the sales central took from
the lease (its verdict's ``leasedPromotions``) in this store's copy of the lease - with its
limits, so that a lease used up here is marked used up as offline - and nothing of the others
(they consumed central's budget itself). A refusal here gives way (:func:`_give_way`): a lease
central found room in but this store's copy did not (a renewal not pulled yet, a return not yet
taken back there) is counted as central judged it, without a limit, and marked used up here
until the renewal comes; a coupon this store's copy does not let claim is left unclaimed here
(central's state of the code comes down with the next pull).
"""
from __future__ import annotations

from typing import NamedTuple, Protocol

import orjson

from actors.store import Store
from actors.sync import SyncState
from actors.sync.outbox import ACCEPTED_BY_CENTRAL
from api.evaluate import Iteration
from api.services import Services
from dre.clock import iso_ms
from dre.errors import DREError
from dre.money import to_major
from dre.side_effects import CouponGrant, JobPayload, PromotionUse
from dre.store.records import BudgetUse, CouponClaim, now_ms


def side_effects_href(transaction_id: str, counter: int) -> str:
    return f"/pos/v2/transactions/{transaction_id}/{counter}/side-effects"


def confirm_answer(transaction_id: str, counter: int, it: Iteration, confirmed_at: int) -> dict:
    """The body of a successful confirm (documented by api.confirm.schemas.ConfirmResponse)."""
    return {
        "meta": {"header": {"transactionId": transaction_id, "transactionCounter": counter}},
        "status": "CONFIRMED",
        "confirmedAt": iso_ms(confirmed_at),
        "totals": it.response.get("totals"),
        "appliedPromotions": [{
            "promotionId": a.promotion_id,
            "amount": to_major(a.amount),
            "loyaltyPoints": a.points,
            "couponCode": a.coupon_code,
            "budgetConsumed": to_major(max(0, a.amount)) if a.budget is not None else None,
        } for a in it.applied],
        "couponRedemptions": [{"code": c, "status": "REDEEMED"} for c in it.coupons],
        "sideEffects": {"status": "PENDING", "href": side_effects_href(transaction_id, counter)},
    }


def job_payload(transaction_id: str, counter: int, it: Iteration, confirmed_at: int,
                accepted: bool = False) -> JobPayload:
    """What the side-effects job of this confirm must do."""
    return JobPayload(
        transactionId=transaction_id, transactionCounter=counter, confirmedAt=confirmed_at,
        customerId=it.customer_id, member=it.member, points=int(it.totals.get("points") or 0),
        coupons=it.coupons,
        promotions=tuple(PromotionUse(a.promotion_id, a.version, a.amount, a.points, a.coupon_code)
                         for a in it.applied),
        grants=tuple(CouponGrant(a.promotion_id, g["couponTypeId"], int(g.get("count") or 1))
                     for a in it.applied for g in a.issue_coupons),
        totals=it.totals, promotionsVersion=it.promotions_version, storeId=it.store_id,
        extra={**({"forwarded": True} if it.forwarded else {}),
               **({ACCEPTED_BY_CENTRAL: True} if accepted else {})},
    )


class Confirmed(NamedTuple):
    """What a confirm committed: its answer and what the workers' budget knowledge must learn."""
    answer: str  # the answer JSON (a replay: the first answer)
    exhausted: tuple[str, ...]  # promotions whose budget this confirm used up
    remaining: dict[str, int]  # cents left of each money budget it consumed


def settle(services: Services, tenant: str, done: Confirmed) -> None:
    """After a confirm (POS or forwarded): this worker's budget knowledge learns what is left, an
    exhausted budget is read again at once, and the side-effects job runner wakes up."""
    services.budgets.note(tenant, done.remaining)  # evaluate here leaves out a discount larger than what is left
    if done.exhausted:
        services.budgets.invalidate(tenant)  # evaluate stops offering them from the next request
    if services.jobs is not None:
        services.jobs.notify()


class CentralJudge(Protocol):
    """A local instance's link for confirms (api.local.LocalInstance.confirm_at_central)."""

    async def confirm_at_central(self, txn_id: str, counter: int, confirmed_at: int, store_id: str | None,
                                 iteration: str) -> dict | None:
        """Central's verdict (accepted), None while central is away; raises central's refusal."""


def _budget_uses(it: Iteration, verdict: dict | None) -> list[BudgetUse]:
    """What the commit here consumes of the applied promotions' budgets: all of them when central
    did not judge it; after central accepted, exactly the sales it took from this store's lease."""
    leased = None if verdict is None else set(verdict.get("leasedPromotions") or ())
    return [u for a in it.applied
            if (u := a.budget_use()) is not None and (leased is None or a.promotion_id in leased)]


USED_UP = ("amount", "redemptions")  # a budget refusal that leaves nothing for anyone (not perCustomer)


def _give_way(err: DREError, uses: list[BudgetUse], claims: list[CouponClaim], used_up: list[str]) -> bool:
    """After central accepted: let the local commit go through where ``err`` refused it (in
    place): a sale central took from the lease counted without a limit (noted in ``used_up``
    when none is left here), the refused coupon not claimed here. False: nothing to give way
    (``err`` is raised)."""
    subject = err.details[0].path if err.details else ""
    if err.code == "BUDGET_EXHAUSTED":
        for i, u in enumerate(uses):
            if u.promotion_id == subject and u != (forced := BudgetUse(u.promotion_id, u.amount_cents)):
                uses[i] = forced
                if err.details[0].issue in USED_UP:
                    used_up.append(subject)
                return True
    elif err.code == "COUPON_UNAVAILABLE" and any(c.code == subject for c in claims):
        claims[:] = [c for c in claims if c.code != subject]
        return True
    return False


async def confirm(store: Store, tenant: str, transaction_id: str, counter: int,
                  central: CentralJudge | None = None) -> Confirmed:
    """Confirm one iteration (see Confirmed); at a local instance, ``central`` judges it first.

    Raises:
        DREError: 404 unknown / expired iteration, 409 STALE_ITERATION / ALREADY_CONFIRMED /
            BUDGET_EXHAUSTED (details[0].path = promotion id) / COUPON_UNAVAILABLE (details[0].path =
            the code), 503 store unavailable. On any error nothing was consumed or claimed. At a
            local instance: central's refusal, as central gave it.
    """
    found = await store.transactions.confirmable(tenant, transaction_id, counter)
    if found.iteration is None:
        return Confirmed(found.answer, (), {})  # a replay: the first answer, nothing consumed
    it = Iteration.parse(found.iteration)
    now = now_ms()
    verdict = None if central is None else await central.confirm_at_central(
        transaction_id, counter, now, it.store_id, found.iteration)
    accepted = verdict is not None
    answer = orjson.dumps(confirm_answer(transaction_id, counter, it, now)).decode()
    uses = _budget_uses(it, verdict)
    claims = [CouponClaim(code) for code in dict.fromkeys(it.coupons)]  # the script uses a held reservation itself
    payload = job_payload(transaction_id, counter, it, now, accepted).to_json()
    sale = orjson.dumps(it.sale).decode() if it.sale else ""
    returns = {o: [tuple(x) for x in incs] for o, incs in (it.returns or {}).items()}
    used_up: list[str] = []
    while True:
        try:
            result = await store.transactions.confirm(
                tenant, transaction_id, counter, customer_id=it.customer_id, promotions=uses, coupons=claims,
                answer=answer, job_payload=payload, now=now, sale_record=sale, returns=returns)
            break
        except DREError as err:  # each give-way takes a limit or a claim away: this ends
            if not accepted or not _give_way(err, uses, claims, used_up):
                raise
    if used_up:  # central's copy of the lease had room, this one none: offered here no more until renewed
        await SyncState(store.core).mark_exhausted(tenant, used_up)
    return Confirmed(result.answer, (*result.exhausted, *used_up), result.remaining)
