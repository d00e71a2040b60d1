"""POST /admin/sync/transactions and the budget leases (central): forwarded sales are committed
exactly once; a budget or coupon a forwarded sale can no longer claim is a conflict, recorded
once, and the sale stands; a sale within its store's lease consumes nothing more."""
from __future__ import annotations

import orjson
import trio

from api.central.lease_expiry import reclaim_expired
from dre.store.records import now_ms

from tests.api import promos
from tests.api.conftest import ADMIN_AUTH, TENANT, admin_post, post
from tests.api.flows import coupon_types, load

ONE_USE = {"id": "ONE", "name": "1.00 off, one redemption", "type": "ARTICLE", "budget": {"redemptions": 1},
           "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 1.00}]}
HUNDRED = {"id": "H", "name": "1.00 off, budget 100.00", "type": "ARTICLE", "budget": {"amount": 100.00},
           "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 1.00}]}


def forwarded(txn: str, promotion: dict, amount: int, coupons: tuple[str, ...] = (), instance: str | None = None):
    budget = {k: promotion["budget"].get(k) for k in ("amount", "redemptions")}
    if budget["amount"] is not None:
        budget["amount"] = int(budget["amount"] * 100)
    return {"transactionId": txn, "transactionCounter": 1, "confirmedAt": 1_700_000_000_000, "storeId": "S1",
            "instanceId": instance,
            "iteration": {"applied": [{"promotionId": promotion["id"], "amount": amount, "points": 0,
                                       "budget": {**budget, "perCustomer": None}}],
                          "coupons": list(coupons), "totals": {"gross": 500, "discount": amount, "points": 0},
                          "response": {"totals": {"gross": 5.0, "discount": amount / 100, "net": 5.0 - amount / 100,
                                                  "currency": "EUR", "savingsSummary": {
                                                      "totalSavings": amount / 100, "byPromotion": [],
                                                      "loyaltyPointsEarned": 0}}}}}


async def send(client, *items) -> list[dict]:
    status, body, _ = await admin_post(client, "/admin/sync/transactions", {"transactions": list(items)})
    assert status == 200, body
    return body["results"]


async def get(client, path: str) -> dict:
    r = await client.get(path, headers=ADMIN_AUTH)
    assert r.status_code == 200
    return orjson.loads(await r.get_data())


async def test_conflicts_are_left_out_recorded_once_and_replays_change_nothing(client, services):
    await load(services, [ONE_USE, *promos.ALL])
    code = (await coupon_types(services))[0]
    first, second = forwarded("T1", ONE_USE, 100, (code,)), forwarded("T2", ONE_USE, 100, (code,))
    results = await send(client, first, second)
    assert [(r["transactionId"], r["status"]) for r in results] == [("T1", "ACCEPTED"), ("T2", "ACCEPTED")]
    assert results[0]["conflicts"] == []
    assert results[1]["conflicts"] == [  # the budget was used and the code redeemed by T1: T2 stands
        {"type": "BUDGET", "promotionId": "ONE", "reason": "redemptions", "amount": 1.0},
        {"type": "COUPON", "code": code, "reason": "ALREADY_REDEEMED"}]
    again = await send(client, first, second)
    assert [r["status"] for r in again] == ["REPLAYED", "REPLAYED"]
    assert again[1]["conflicts"] == results[1]["conflicts"]
    listed = (await get(client, "/admin/sync/conflicts"))["conflicts"]
    assert [(c["transactionId"], c["storeId"], c["conflicts"]) for c in listed] == [("T2", "S1", results[1]["conflicts"])]
    budget = await get(client, "/admin/promotions/ONE/budget")
    assert budget["redemptions"] == {"limit": 1, "consumed": 1, "remaining": 0}


async def test_a_forwarded_transaction_central_evaluated_itself_is_refused_and_kept_apart(client, services):
    await load(services, [HUNDRED])
    status, _, _ = await admin_post(client, "/pos/v2/evaluate", {"request": {
        "header": {"transactionId": "X"}, "posGroupCode": "P",
        "items": [{"lineReference": "1", "articleNumber": "A", "quantity": 1, "unitPrice": 5.0}]}})
    await admin_post(client, "/pos/v2/evaluate", {"request": {
        "header": {"transactionId": "X"}, "posGroupCode": "P",
        "items": [{"lineReference": "1", "articleNumber": "A", "quantity": 1, "unitPrice": 5.0}]}})
    [result, ok] = await send(client, forwarded("X", HUNDRED, 100), forwarded("Y", HUNDRED, 100))
    assert result["status"] == "REFUSED" and result["error"]["code"] == "TRANSACTION_ID_TAKEN"
    assert ok["status"] == "ACCEPTED"  # the batch goes on


async def test_a_lease_is_taken_out_of_the_budget_and_sales_within_it_consume_nothing_more(client, services):
    await load(services, [HUNDRED])
    page = await get(client, "/admin/sync/feed?instance=store-1")
    expires = page["leases"]["H"].pop("expiresAt")  # DRE_LEASE_TTL_S (24 h) from now
    assert page["leases"] == {"H": {"amount": 10.0, "redemptions": None}}  # DRE_LEASE_FRACTION 0.1
    assert abs(expires - (now_ms() + 24 * 3600_000)) < 60_000
    assert (await get(client, "/admin/promotions/H/budget"))["amount"] == {  # leased apart from sold
        "limit": 100.0, "consumed": 0.0, "remaining": 90.0, "outstandingLeases": 10.0}
    assert (await get(client, "/admin/sync/feed?instance=store-1"))["leases"]["H"]["amount"] == 10.0  # no renewal yet

    [r] = await send(client, forwarded("L1", HUNDRED, 600, instance="store-1"))
    assert r["status"] == "ACCEPTED" and r["conflicts"] == []
    await send(client, forwarded("L1", HUNDRED, 600, instance="store-1"))  # a replay counts nothing twice
    assert (await get(client, "/admin/promotions/H/budget"))["amount"] == {
        "limit": 100.0, "consumed": 6.0, "remaining": 90.0, "outstandingLeases": 4.0}
    [held] = (await get(client, "/admin/sync/leases"))["promotions"]
    assert (held["promotionId"], held["outstandingAmount"]) == ("H", 4.0)
    assert held["leases"][0].pop("expiresAt") >= expires  # the second pull renewed it
    assert held["leases"] == [{"instance": "store-1", "amount": 10.0, "usedAmount": 6.0, "returnedAmount": 0.0,
                               "redemptions": None, "usedRedemptions": 1, "returnedRedemptions": 0,
                               "expiredAmount": 0.0, "expiredRedemptions": 0}]
    # less than half a share left: the next pull renews it
    assert (await get(client, "/admin/sync/feed?instance=store-1"))["leases"]["H"]["amount"] == 20.0
    assert (await get(client, "/admin/promotions/H/budget"))["amount"]["outstandingLeases"] == 14.0
    # a store without a lease consumes the budget itself
    await send(client, forwarded("N1", HUNDRED, 300, instance="store-2"))
    assert (await get(client, "/admin/promotions/H/budget"))["amount"] == {
        "limit": 100.0, "consumed": 9.0, "remaining": 77.0, "outstandingLeases": 14.0}


async def test_a_returned_lease_is_no_longer_consumed_once_and_never_more_than_outstanding(client, services):
    await load(services, [HUNDRED])
    await get(client, "/admin/sync/feed?instance=store-1")  # leased 10.00
    await send(client, forwarded("L1", HUNDRED, 600, instance="store-1"))  # sold 6.00 of it
    back = {"instanceId": "store-1", "returns": [{"promotionId": "H", "returnId": "r1", "amount": 500,
                                                   "redemptions": 0}]}  # asks 5.00 back; 4.00 is left
    status, body, _ = await admin_post(client, "/admin/sync/leases/return", back)
    assert status == 200 and body["results"] == [{"returnId": "r1", "status": "RETURNED", "amount": 400,
                                                  "redemptions": 0}], body
    _, again, _ = await admin_post(client, "/admin/sync/leases/return", back)
    assert again["results"][0]["status"] == "REPLAYED"
    assert (await get(client, "/admin/promotions/H/budget"))["amount"] == {  # exactly what was sold
        "limit": 100.0, "consumed": 6.0, "remaining": 94.0, "outstandingLeases": 0.0}
    # the next pull renews the lease (nothing left of it): by a share
    assert (await get(client, "/admin/sync/feed?instance=store-1"))["leases"]["H"]["amount"] == 20.0
    assert (await get(client, "/admin/promotions/H/budget"))["amount"]["outstandingLeases"] == 10.0
    status, _, _ = await post(client, "/admin/sync/leases/return", back)  # a POS key
    assert status == 403


async def test_a_lease_return_of_another_json_type_is_refused_and_returns_nothing(client, services):
    """``redemptions: true`` is not 1, nor ``amount: "500"`` 500 (schemathesis found the first
    answered 200): a 400 naming the field, and the lease stays as it was."""
    await load(services, [HUNDRED])
    await get(client, "/admin/sync/feed?instance=store-1")  # leased 10.00
    for field, value in (("redemptions", True), ("amount", "500")):
        item = {"promotionId": "H", "returnId": "r1", "amount": 500, "redemptions": 0, field: value}
        status, body, _ = await admin_post(client, "/admin/sync/leases/return", {"instanceId": "store-1",
                                                                                 "returns": [item]})
        assert status == 400 and body["error"]["details"][0]["path"] == f"returns[0].{field}", body
    assert (await get(client, "/admin/promotions/H/budget"))["amount"]["outstandingLeases"] == 10.0


async def test_a_lease_that_takes_the_last_of_a_budget_marks_it_used_up_at_central(client, services):
    await load(services, [ONE_USE])
    page = await get(client, "/admin/sync/feed?instance=store-1")
    assert page["leases"] == {"ONE": {"amount": None, "redemptions": 1, "expiresAt": page["leases"]["ONE"]["expiresAt"]}}
    assert page["exhaustedBudgets"] == []  # not for the store that holds the lease
    assert (await get(client, "/admin/sync/feed?instance=store-2"))["leases"] == {"ONE": {
        "amount": None, "redemptions": 0, "expiresAt": 0}}  # nothing leased: nothing to expire
    assert (await get(client, "/admin/sync/feed"))["exhaustedBudgets"] == ["ONE"]  # central's own lanes


async def test_a_forwarded_sale_tells_central_what_is_left_of_the_budget_as_a_pos_confirm_does(client, services):
    await load(services, [HUNDRED])
    assert "H" not in (await services.budgets.known(TENANT)).remaining  # read now: nothing consumed yet
    [r] = await send(client, forwarded("R1", HUNDRED, 250))
    assert r["status"] == "ACCEPTED"
    # learnt from the confirm itself, before the next store read (at most once a second)
    assert (await services.budgets.known(TENANT)).remaining["H"] == 10_000 - 250


GRACE_MS = 3600_000  # DRE_LEASE_GRACE_S default


async def test_an_expired_lease_is_reclaimed_after_the_grace_period_and_renewal_extends_it(client, services):
    await load(services, [HUNDRED])
    first = (await get(client, "/admin/sync/feed?instance=store-1"))["leases"]["H"]["expiresAt"]  # 10.00
    await get(client, "/admin/sync/feed?instance=store-2")  # 10.00, renewed below
    await trio.sleep(0.01)
    renewed = (await get(client, "/admin/sync/feed?instance=store-2"))["leases"]["H"]["expiresAt"]
    assert renewed > first  # each pull renews the expiry
    await send(client, forwarded("L1", HUNDRED, 600, instance="store-1"))  # sold 6.00 of its lease
    assert await reclaim_expired(services, TENANT, now=first + GRACE_MS - 1) == 0  # within the grace period
    assert await reclaim_expired(services, TENANT, now=renewed + GRACE_MS - 1) == 1  # store-1's only
    assert (await get(client, "/admin/promotions/H/budget"))["amount"] == {  # its unused 4.00 is back
        "limit": 100.0, "consumed": 6.0, "remaining": 84.0, "outstandingLeases": 10.0}
    assert await reclaim_expired(services, TENANT, now=renewed + GRACE_MS - 1) == 0  # once
    [held] = (await get(client, "/admin/sync/leases"))["promotions"]
    one = held["leases"][0]
    assert (one["instance"], one["returnedAmount"], one["expiredAmount"]) == ("store-1", 4.0, 4.0)
    # back online: renewed by a share; a sale made under it (after the reclaim) is a lease use
    assert (await get(client, "/admin/sync/feed?instance=store-1"))["leases"]["H"]["amount"] == 20.0
    after = dict(forwarded("L2", HUNDRED, 300, instance="store-1"), confirmedAt=renewed + GRACE_MS)
    assert (await send(client, after))[0]["conflicts"] == []
    assert (await get(client, "/admin/promotions/H/budget"))["amount"] == {
        "limit": 100.0, "consumed": 9.0, "remaining": 74.0, "outstandingLeases": 17.0}


async def test_a_reclaimed_lease_makes_room_for_others_at_central(client, services):
    await load(services, [ONE_USE])
    expires = (await get(client, "/admin/sync/feed?instance=store-1"))["leases"]["ONE"]["expiresAt"]
    assert (await get(client, "/admin/sync/feed"))["exhaustedBudgets"] == ["ONE"]  # all leased out
    await reclaim_expired(services, TENANT, now=expires + GRACE_MS)
    assert (await get(client, "/admin/sync/feed"))["exhaustedBudgets"] == []
    assert (await get(client, "/admin/promotions/ONE/budget"))["redemptions"] == {
        "limit": 1, "consumed": 0, "remaining": 1, "outstandingLeases": 0}
    assert (await get(client, "/admin/sync/feed?instance=store-2"))["leases"]["ONE"]["redemptions"] == 1


async def test_a_sale_forwarded_after_its_lease_was_reclaimed_is_counted_and_reported(client, services):
    """A store sold before its lease expired but was offline past the grace period: the sale
    stands and counts, even past the limit - the one way consumed can pass it."""
    await load(services, [ONE_USE])
    expires = (await get(client, "/admin/sync/feed?instance=store-1"))["leases"]["ONE"]["expiresAt"]
    await reclaim_expired(services, TENANT, now=expires + GRACE_MS)
    [other] = await send(client, forwarded("N1", ONE_USE, 100, instance="store-2"))  # central's room, used
    assert other["conflicts"] == []
    late = dict(forwarded("L1", ONE_USE, 100, instance="store-1"), confirmedAt=expires - 600_000)
    [r] = await send(client, late)
    conflict = {"type": "EXPIRED_LEASE", "promotionId": "ONE", "reason": "SOLD_ON_EXPIRED_LEASE", "amount": 1.0}
    assert (r["status"], r["conflicts"]) == ("ACCEPTED", [conflict])
    [again] = await send(client, late)
    assert (again["status"], again["conflicts"]) == ("REPLAYED", [conflict])
    assert (await get(client, "/admin/promotions/ONE/budget"))["redemptions"] == {
        "limit": 1, "consumed": 2, "remaining": 0, "outstandingLeases": 0}
    listed = (await get(client, "/admin/sync/conflicts"))["conflicts"]
    assert [(c["transactionId"], c["conflicts"]) for c in listed] == [("L1", [conflict])]


async def test_a_batch_is_decided_as_if_in_order_though_its_transactions_are_committed_together(client, services):
    """T1 and T2 both claim the last redemption of ONE; T1 also a code redeemed before, so its
    commit is refused once and comes again (stripped of the code) - T2 must still wait for it:
    the earlier wins, each conflict is recorded once, and the batch sent again changes nothing."""
    await load(services, [ONE_USE, HUNDRED, *promos.ALL])
    code = (await coupon_types(services))[0]
    [used] = await send(client, forwarded("T0", HUNDRED, 100, (code,)))
    assert used["status"] == "ACCEPTED" and used["conflicts"] == []
    others = [forwarded(f"F{i}", HUNDRED, 100) for i in range(8)]  # independent of T1/T2: committed alongside
    batch = [*others[:4], forwarded("T1", ONE_USE, 100, (code,)), *others[4:], forwarded("T2", ONE_USE, 100)]
    results = await send(client, *batch)
    assert [r["transactionId"] for r in results] == [t["transactionId"] for t in batch]
    assert all(r["status"] == "ACCEPTED" for r in results)
    by_id = {r["transactionId"]: r["conflicts"] for r in results}
    assert by_id["T1"] == [{"type": "COUPON", "code": code, "reason": "ALREADY_REDEEMED"}]
    assert by_id["T2"] == [{"type": "BUDGET", "promotionId": "ONE", "reason": "redemptions", "amount": 1.0}]
    assert all(by_id[t["transactionId"]] == [] for t in others)

    again = await send(client, *batch)
    assert [r["status"] for r in again] == ["REPLAYED"] * len(batch)
    assert {r["transactionId"]: r["conflicts"] for r in again} == by_id
    listed = (await get(client, "/admin/sync/conflicts"))["conflicts"]
    assert sorted(c["transactionId"] for c in listed) == ["T1", "T2"]
    assert (await get(client, "/admin/promotions/ONE/budget"))["redemptions"] == {"limit": 1, "consumed": 1, "remaining": 0}
    assert (await get(client, "/admin/promotions/H/budget"))["amount"]["consumed"] == 9.0  # T0 and the 8 others, once


async def test_a_transaction_sent_twice_in_one_batch_is_committed_once(client, services):
    await load(services, [HUNDRED])
    item = forwarded("D1", HUNDRED, 250)
    results = await send(client, item, forwarded("D2", HUNDRED, 100), item)
    assert [r["status"] for r in results] == ["ACCEPTED", "ACCEPTED", "REPLAYED"]
    assert (await get(client, "/admin/promotions/H/budget"))["amount"]["consumed"] == 3.5


async def test_a_strict_confirm_answers_a_refusal_commits_nothing_and_counts_a_lease_once_committed(client, services):
    """POST /admin/sync/confirm (a confirm at a local instance, judged by central first)."""
    await load(services, [ONE_USE, HUNDRED, *promos.ALL])
    code = (await coupon_types(services))[0]
    # a budget without a lease is central's to judge: used up, refused
    assert (await admin_post(client, "/admin/sync/confirm", forwarded("S0", ONE_USE, 100)))[0] == 200
    status, body, _ = await admin_post(client, "/admin/sync/confirm", forwarded("S00", ONE_USE, 100))
    assert status == 409 and body["error"]["code"] == "BUDGET_EXHAUSTED", body
    assert (await get(client, "/admin/promotions/ONE/budget"))["redemptions"]["consumed"] == 1
    await get(client, "/admin/sync/feed?instance=store-1")  # store-1 holds a lease of H (10.00)
    first = forwarded("S1", HUNDRED, 300, (code,), instance="store-1")
    status, verdict, _ = await admin_post(client, "/admin/sync/confirm", first)
    assert status == 200 and (verdict["status"], verdict["conflicts"]) == ("ACCEPTED", []), verdict
    assert verdict["leasedPromotions"] == ["H"]  # taken from the lease: the instance counts it
    # the code is redeemed now: a second sale with it is refused as it is, not made a conflict
    status, body, _ = await admin_post(client, "/admin/sync/confirm", forwarded("S2", HUNDRED, 300, (code,),
                                                                               instance="store-1"))
    assert status == 409 and body["error"]["code"] == "COUPON_UNAVAILABLE", body
    assert body["error"]["details"] == [{"path": code, "issue": "ALREADY_REDEEMED"}]
    # nothing of S2 counted: the room it took from the lease was given back; no conflict recorded
    [held] = [p for p in (await get(client, "/admin/sync/leases"))["promotions"] if p["promotionId"] == "H"]
    assert (held["leases"][0]["usedAmount"], held["leases"][0]["usedRedemptions"]) == (3.0, 1)
    assert (await get(client, "/admin/sync/conflicts"))["conflicts"] == []
    # exactly once: sent again, or forwarded later by the instance (its answer lost), a replay
    status, again, _ = await admin_post(client, "/admin/sync/confirm", first)
    assert (status, again["status"], again["leasedPromotions"]) == (200, "REPLAYED", ["H"])
    assert [r["status"] for r in await send(client, first)] == ["REPLAYED"]
    [held] = [p for p in (await get(client, "/admin/sync/leases"))["promotions"] if p["promotionId"] == "H"]
    assert (held["leases"][0]["usedAmount"], held["leases"][0]["usedRedemptions"]) == (3.0, 1)
    assert (await get(client, "/admin/promotions/H/budget"))["amount"]["consumed"] == 3.0


async def test_a_strict_confirm_past_the_lease_consumes_the_budget_strictly_and_replays_count_nothing(
        client, services):
    """Central judges the lease's room too: within it, the sale is taken from the lease; past it,
    the budget itself is consumed - and refused when that has no room either."""
    twenty = {**HUNDRED, "id": "T", "budget": {"amount": 20.00}}
    await load(services, [HUNDRED, twenty])
    await get(client, "/admin/sync/feed?instance=store-1")  # leases: H 10.00, T 2.00

    async def state(pid: str) -> tuple[dict, tuple[float, int]]:
        [held] = [p for p in (await get(client, "/admin/sync/leases"))["promotions"] if p["promotionId"] == pid]
        lease = held["leases"][0]
        return (await get(client, f"/admin/promotions/{pid}/budget"))["amount"], (lease["usedAmount"],
                                                                                lease["usedRedemptions"])

    within = forwarded("W1", HUNDRED, 600, instance="store-1")
    status, verdict, _ = await admin_post(client, "/admin/sync/confirm", within)
    assert (status, verdict["leasedPromotions"]) == (200, ["H"]), verdict
    assert await state("H") == ({"limit": 100.0, "consumed": 6.0, "remaining": 90.0, "outstandingLeases": 4.0},
                                (6.0, 1))
    # 6.00 more does not fit the lease's 4.00 left: the budget pays, the lease is untouched
    past = forwarded("P1", HUNDRED, 600, instance="store-1")
    status, verdict, _ = await admin_post(client, "/admin/sync/confirm", past)
    assert (status, verdict["status"], verdict["leasedPromotions"]) == (200, "ACCEPTED", []), verdict
    after = ({"limit": 100.0, "consumed": 12.0, "remaining": 84.0, "outstandingLeases": 4.0}, (6.0, 1))
    assert await state("H") == after
    # replays - sent again, or the queued copy forwarded later - decide and count nothing anew
    for sent in (within, past):
        status, again, _ = await admin_post(client, "/admin/sync/confirm", sent)
        assert (status, again["status"]) == (200, "REPLAYED")
        assert again["leasedPromotions"] == (["H"] if sent is within else [])
    assert [r["status"] for r in await send(client, within, past)] == ["REPLAYED", "REPLAYED"]
    assert await state("H") == after

    # past the lease (2.00) and the budget (20.00 - 2.00 leased - 5.00 sold): refused, nothing anywhere
    status, verdict, _ = await admin_post(client, "/admin/sync/confirm", forwarded("B1", twenty, 500,
                                                                                  instance="store-1"))
    assert (status, verdict["leasedPromotions"]) == (200, []), verdict
    before = await state("T")
    assert before == ({"limit": 20.0, "consumed": 5.0, "remaining": 13.0, "outstandingLeases": 2.0}, (0.0, 0))
    status, body, _ = await admin_post(client, "/admin/sync/confirm", forwarded("B2", twenty, 1400,
                                                                               instance="store-1"))
    assert (status, body["error"]["code"]) == (409, "BUDGET_EXHAUSTED"), body
    assert await state("T") == before and (await get(client, "/admin/sync/conflicts"))["conflicts"] == []
    # the lease's room is still there for a sale that fits it
    status, verdict, _ = await admin_post(client, "/admin/sync/confirm", forwarded("B3", twenty, 200,
                                                                                  instance="store-1"))
    assert (status, verdict["leasedPromotions"]) == (200, ["T"]), verdict
    assert (await state("T"))[1] == (2.0, 1)


async def test_a_strict_confirm_takes_a_redemption_lease_only_while_it_has_a_redemption_left(client, services):
    counted = {**ONE_USE, "id": "R", "budget": {"redemptions": 20}}
    await load(services, [counted])
    assert (await get(client, "/admin/sync/feed?instance=store-1"))["leases"]["R"]["redemptions"] == 2
    verdicts = []
    for txn in ("R1", "R2", "R3"):
        status, verdict, _ = await admin_post(client, "/admin/sync/confirm", forwarded(txn, counted, 100,
                                                                                      instance="store-1"))
        assert status == 200, verdict
        verdicts.append(verdict["leasedPromotions"])
    assert verdicts == [["R"], ["R"], []]  # the third: the budget's own
    assert (await get(client, "/admin/promotions/R/budget"))["redemptions"] == {
        "limit": 20, "consumed": 3, "remaining": 17, "outstandingLeases": 0}
