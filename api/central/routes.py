"""The sync routes central serves to local instances (admin keys only: a store's instance holds
an admin key of its tenant, DRE_CENTRAL_KEY): the delta feed, forwarded transactions, and the
conflicts found on accepting them."""
from __future__ import annotations

from quart import Blueprint, Response, g, request
from quart_schema import document_response

from actors.sync import ForwardedTransactions as ForwardedStore
from actors.sync import Leases, outstanding
from api.central.accept import accept
from api.central.batch import accept_batch
from api.central.feed import feed_page, page_size
from api.central.lease_expiry import reclaim_expired
from api.central.schemas import (
    ConflictList, ForwardedResults, ForwardedTransaction, ForwardedTransactions, ForwardedVerdict, LeaseList,
    LeaseReturnResults, LeaseReturns, SyncFeed,
)
from api.http.auth import admin_only
from api.http.errors import json_response
from api.http.openapi import AUTH_ERRORS, BODY_ERRORS, errors
from api.http.validation import validate_request
from api.services import current_services
from dre.money import to_major
from dre.promotion import budget_limits
from dre.store.records import NO_LIMIT

bp = Blueprint("central_sync", __name__)


@bp.get("/admin/sync/feed")
@admin_only
@document_response(SyncFeed, 200)
@errors(*AUTH_ERRORS, 400, 503)
async def feed() -> Response:
    """What changed after `?cursor=` (absent: everything): the whole promotion and coupon-type
    set when its version moved (else null), and up to `?limit=` (default 5000) articles written
    since, oldest write first. `more`: ask again at once with the answer's `cursor`. With
    `?instance=` (a local instance's id) its budget leases are granted or renewed and listed."""
    args = request.args
    return json_response(await feed_page(current_services(), g.tenant, args.get("cursor"),
                                         page_size(args.get("limit")), args.get("instance") or None))


@bp.post("/admin/sync/transactions")
@admin_only
@validate_request(ForwardedTransactions)
@document_response(ForwardedResults, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def transactions(data: ForwardedTransactions) -> Response:
    """Commit transactions a local instance confirmed, as if in order (those that share no
    budget, coupon or customer are committed concurrently), each exactly once (by
    transactionId + transactionCounter: a second delivery is REPLAYED and changes nothing).
    A budget used up or a coupon claimed elsewhere does not undo the store's sale: the part is
    left out of what is consumed and listed in `conflicts` (and in GET /admin/sync/conflicts).
    A transaction central cannot commit is REFUSED with its `error`; the others go on."""
    # a store fault is a 503: the instance sends the batch again (the done ones replay)
    items = [t.model_dump(exclude_none=True) for t in data.transactions]
    return json_response({"results": await accept_batch(current_services(), g.tenant, items)})


@bp.post("/admin/sync/confirm")
@admin_only
@validate_request(ForwardedTransaction)
@document_response(ForwardedVerdict, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def confirm_first(data: ForwardedTransaction) -> Response:
    """Judge and commit a confirm a local instance makes while central answers, before the
    instance commits it (central first): exactly once by transactionId + transactionCounter, as
    `POST /admin/sync/transactions` (sent again, or later forwarded by the instance: REPLAYED,
    nothing changes). Strict: a refusal is the answer, with the confirm's status and error - 409
    BUDGET_EXHAUSTED, COUPON_UNAVAILABLE (a code used elsewhere), RETURN_EXCEEDS_SALE,
    ALREADY_CONFIRMED, TRANSACTION_ID_TAKEN - and nothing is committed or counted. A promotion
    the instance holds a budget lease of is taken from the lease when it has room for the sale
    (consuming nothing of the budget), else it consumes the budget itself, strictly;
    `leasedPromotions` names those taken from the lease (the instance counts exactly those)."""
    s = current_services()
    return json_response(await accept(s, g.tenant, data.model_dump(exclude_none=True), strict=True))


@bp.get("/admin/sync/conflicts")
@admin_only
@document_response(ConflictList, 200)
@errors(*AUTH_ERRORS, 503)
async def conflicts() -> Response:
    """Forwarded transactions whose commit met a conflict (a budget used up, a coupon claimed
    elsewhere, e.g. by two stores offline at once), oldest first, each listed once."""
    s = current_services()
    return json_response({"conflicts": await ForwardedStore(s.store.core).conflicts(g.tenant)})


@bp.get("/admin/sync/leases")
@admin_only
@document_response(LeaseList, 200)
@errors(*AUTH_ERRORS, 503)
async def leases() -> Response:
    """The budget leases held by local instances, per promotion: leased, sold of it (as forwarded
    sales tell), given back, and the outstanding rest (taken out of the budget, not sold: the
    budget route shows it as `outstandingLeases`, apart from `consumed`), and the expiry. Leases
    expired longer than the grace period are reclaimed first (their rest shown as expired)."""
    s = current_services()
    await reclaim_expired(s, g.tenant)
    found = await Leases(s.store.core).all(g.tenant)
    out = []
    for pid, by_instance in found.items():
        states = [{"instance": inst, "amount": to_major(v["amount"]) if "amount" in v else None,
                   "usedAmount": to_major(v.get("usedAmount", 0)),
                   "returnedAmount": to_major(v.get("returnedAmount", 0)), "redemptions": v.get("redemptions"),
                   "usedRedemptions": v.get("usedRedemptions", 0),
                   "returnedRedemptions": v.get("returnedRedemptions", 0),
                   "expiredAmount": to_major(v.get("expiredAmount", 0)),
                   "expiredRedemptions": v.get("expiredRedemptions", 0), "expiresAt": v.get("expiresAt")}
                  for inst, v in sorted(by_instance.items())]
        out.append({"promotionId": pid, "outstandingAmount": to_major(outstanding(by_instance, "amount")),
                    "outstandingRedemptions": outstanding(by_instance, "redemptions"), "leases": states})
    return json_response({"promotions": out})


@bp.post("/admin/sync/leases/return")
@admin_only
@validate_request(LeaseReturns)
@document_response(LeaseReturnResults, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def return_leases(data: LeaseReturns) -> Response:
    """A local instance gives back the unused rest of its budget leases (it stopped selling it
    first). Each return is taken back once by `returnId` (sent again: REPLAYED), never more than
    the instance's outstanding lease; what comes back is no longer consumed."""
    s = current_services()
    leases = Leases(s.store.core)
    results = []
    for r in data.returns:
        promo = s.engine.current(g.tenant).by_id.get(r.promotionId)
        taken = await leases.give_back(g.tenant, data.instanceId, r.promotionId, r.returnId, r.amount,
                                       r.redemptions, budget_limits(promo) if promo is not None else (NO_LIMIT, NO_LIMIT))
        results.append({"returnId": r.returnId, "status": "REPLAYED" if taken is None else "RETURNED",
                        "amount": taken[0] if taken else 0, "redemptions": taken[1] if taken else 0})
    if s.budgets is not None:
        s.budgets.invalidate(g.tenant)  # a budget given back is offered again at once
    return json_response({"results": results})
