"""POST /pos/v2/confirm through the app on a real Redis: budgets and coupons all or nothing,
replays, stale / unknown / expired iterations, coupon-triggered promotions."""
from __future__ import annotations

import pytest

from dre.errors import DREError
from dre.store import keys
from tests.api import promos
from tests.api.conftest import TENANT, post
from tests.api.flows import confirm, coupon_types, evaluate, item, load


@pytest.fixture
async def codes(services):
    await load(services, promos.ALL)
    return await coupon_types(services)


def budget(rdb, pid: str) -> dict:
    return rdb.hgetall(keys.budget(TENANT, pid))


async def test_confirm_answer_consumes_budget_and_replays_byte_identical(client, codes, rdb):
    body = await evaluate(client, "T1", [item("1", "A", 1, 10.00)])
    assert body["meta"]["header"]["transactionCounter"] == 1
    status, answer, raw = await confirm(client, "T1", 1)
    assert status == 200, answer
    assert answer["meta"] == {"header": {"transactionId": "T1", "transactionCounter": 1}}
    assert answer["status"] == "CONFIRMED" and answer["totals"] == body["totals"]
    assert answer["appliedPromotions"][0] == {"promotionId": "BUD", "amount": 1.0, "loyaltyPoints": 0,
                                              "couponCode": None, "budgetConsumed": 1.0}
    assert {a["promotionId"]: a["budgetConsumed"] for a in answer["appliedPromotions"]} == {"BUD": 1.0, "LOY": None}
    assert answer["sideEffects"] == {"status": "PENDING", "href": "/pos/v2/transactions/T1/1/side-effects"}
    assert answer["confirmedAt"].endswith("Z")
    consumed = budget(rdb, "BUD")
    assert (consumed["amount_consumed"], consumed["redemptions_consumed"]) == ("100", "1")
    assert consumed["amount_limit"] == "200"  # the limit as priced, recorded with the consumption
    for _ in range(2):  # replays: the same bytes, nothing consumed again
        again = await confirm(client, "T1", 1)
        assert again[0] == 200 and again[2] == raw
    assert budget(rdb, "BUD") == consumed
    # one job, whatever state the job runner has it in by now: queued, leased or done
    assert list(rdb.scan_iter("dre:{acme:txn:*}:job:*")) == [keys.job(TENANT, "T1/1")]
    assert sum(rdb.zcard(b) for b in keys.job_buckets(TENANT)) <= 1


async def test_another_counter_of_a_confirmed_transaction_is_409(client, codes):
    await evaluate(client, "T1", [item("1", "A", 1, 10.00)])
    assert (await confirm(client, "T1", 1))[0] == 200
    await evaluate(client, "T1", [item("1", "A", 2, 10.00)])  # counter 2 after the confirm
    status, body, _ = await confirm(client, "T1", 2)
    assert (status, body["error"]["code"]) == (409, "ALREADY_CONFIRMED")
    assert (await confirm(client, "T1", 1))[0] == 200  # the confirmed one still replays


async def test_stale_unknown_and_expired_iterations(client, codes, rdb):
    for _ in range(2):
        await evaluate(client, "T1", [item("1", "A", 1, 10.00)])
    status, body, _ = await confirm(client, "T1", 1)
    assert (status, body["error"]["code"]) == (409, "STALE_ITERATION")
    assert "latest" in body["error"]["message"]
    for txn, counter in (("T1", 3), ("NEVER", 1)):
        status, body, _ = await confirm(client, txn, counter)
        assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
        assert "never issued" in body["error"]["message"]
    rdb.hdel(keys.txn_iterations(TENANT, "T1"), "2")  # what the 24 h TTL does
    status, body, _ = await confirm(client, "T1", 2)
    assert status == 404 and "expired" in body["error"]["message"]
    assert budget(rdb, "BUD") == {}  # none of these consumed anything


async def test_each_refusal_names_its_transaction_and_counter(client, codes, rdb):
    """confirm.lua judges; dre.store.replies.CONFIRM_REFUSALS words the answer, the same whether
    or not the counter's iteration is still kept."""
    def error(code: str, message: str, issue: str, txn: str = "T1") -> dict:
        return {"error": {"code": code, "message": message, "details": [{"path": txn, "issue": issue}]}}

    for _ in range(2):
        await evaluate(client, "T1", [item("1", "A", 1, 10.00)])
    assert (await confirm(client, "T1", 1))[:2] == (409, error(
        "STALE_ITERATION", "counter 1 of transaction T1 is not the latest (2): only the latest iteration can be "
                           "confirmed", "latest counter is 2"))
    assert (await confirm(client, "T1", 3))[:2] == (404, error(
        "NOT_FOUND", "transactionCounter 3 of transaction T1 was never issued (or the transaction has expired)",
        "counter never issued"))
    rdb.hdel(keys.txn_iterations(TENANT, "T1"), "2")
    assert (await confirm(client, "T1", 2))[:2] == (404, error(
        "NOT_FOUND", "iteration 2 of transaction T1 has expired: evaluate the basket again", "iteration expired"))
    await evaluate(client, "T2", [item("1", "A", 1, 10.00)])
    assert (await confirm(client, "T2", 1))[0] == 200
    await evaluate(client, "T2", [item("1", "A", 2, 10.00)])  # counter 2 kept, after the confirm
    already = error("ALREADY_CONFIRMED", "transaction T2 was confirmed with counter 1", "confirmed with counter 1",
                    "T2")
    for counter in (2, 7):  # kept, never issued: the same answer
        assert (await confirm(client, "T2", counter))[:2] == (409, already)


async def test_the_commit_judges_again(services, codes):
    """Between handing over the iteration and the commit, a newer evaluate makes it stale: the
    commit refuses it (one script judges both calls) and consumes nothing."""
    store = services.store
    await store.transactions.next_counter(TENANT, "T1", "{}")
    found = await store.transactions.confirmable(TENANT, "T1", 1)
    assert (found.iteration, found.answer) == ("{}", None)
    await store.transactions.next_counter(TENANT, "T1", "{}")
    with pytest.raises(DREError) as refused:
        await store.transactions.confirm(TENANT, "T1", 1, customer_id=None, promotions=[], coupons=[], answer="{}",
                                         job_payload="{}")
    assert (refused.value.status, refused.value.code) == (409, "STALE_ITERATION")
    assert await store.transactions.confirmed(TENANT, "T1") is None


@pytest.mark.parametrize("bad", [{}, {"request": {"header": {"transactionId": "T1"}}},
                                 {"request": {"header": {"transactionId": "T1", "transactionCounter": 0}}},
                                 {"request": {"header": {"transactionId": "", "transactionCounter": 1}}},
                                 {"request": {"header": {"transactionId": "T1", "transactionCounter": "1"}}}])
async def test_bad_bodies_are_400(client, bad):
    status, body, _ = await post(client, "/pos/v2/confirm", bad)
    assert (status, body["error"]["code"]) == (400, "INVALID_INPUT")


async def test_budget_exhausted_names_the_promotion_and_claims_no_coupon(client, codes, rdb):
    for txn in ("T1", "T2"):
        await evaluate(client, txn, [item("1", "A", 1, 10.00)])
    # priced while the budget had room; it uses a coupon too: the failed confirm must not claim it
    await evaluate(client, "T3", [item("1", "A", 1, 10.00)], coupons=(codes[0],))
    for txn in ("T1", "T2"):
        assert (await confirm(client, txn, 1))[0] == 200
    status, body, _ = await confirm(client, "T3", 1)
    assert (status, body["error"]["code"]) == (409, "BUDGET_EXHAUSTED")
    assert body["error"]["details"] == [{"path": "BUD", "issue": "amount"}] and "BUD" in body["error"]["message"]
    assert budget(rdb, "BUD")["amount_consumed"] == "200"
    assert rdb.hget(keys.coupon(TENANT, codes[0]), "status") == "ACTIVE"
    assert rdb.exists(keys.txn_confirmed(TENANT, "T3")) == 0
    # evaluate stops offering it (the cache was invalidated by the confirm that used it up)
    body = await evaluate(client, "T4", [item("1", "A", 1, 10.00)])
    assert body["totals"]["discount"] == 0


async def test_per_customer_budget(client, codes):
    # both priced before either is confirmed (a race: evaluate withholds a promotion the customer
    # has used up, tests/api/test_customer_limits.py), so confirm is the one to refuse
    await evaluate(client, "T1", [item("1", "B", 1, 5.00)], customer="C1")
    await evaluate(client, "T2", [item("1", "B", 1, 5.00)], customer="C1")
    assert (await confirm(client, "T1", 1))[0] == 200
    status, body, _ = await confirm(client, "T2", 1)
    assert (status, body["error"]["details"]) == (409, [{"path": "ONCE", "issue": "perCustomer"}])
    await evaluate(client, "T3", [item("1", "B", 1, 5.00)], customer="C2")
    assert (await confirm(client, "T3", 1))[0] == 200


async def test_coupon_promotion_fires_with_its_code_and_confirm_redeems_it(client, codes, rdb):
    code = codes[0]
    body = await evaluate(client, "T1", [item("1", "X", 1, 10.00)], coupons=(code, "NOPE"))
    assert body["lineItems"][0]["discounts"][0] == {"promotionId": "CPN", "promotionName": promos.WITH_COUPON["name"],
                                                    "promotionType": "COUPON", "amount": 2.0, "couponCode": code}
    results = {r["code"]: r["status"] for r in body["couponResults"]}
    assert results == {code: "APPLIED", "NOPE": "INVALID"}
    # the same code in another basket prices too (nothing is claimed before confirm) ...
    await evaluate(client, "T2", [item("1", "X", 1, 10.00)], coupons=(code,))
    status, answer, _ = await confirm(client, "T1", 1)
    assert status == 200 and answer["couponRedemptions"] == [{"code": code, "status": "REDEEMED"}]
    assert rdb.hget(keys.coupon(TENANT, code), "status") == "REDEEMED"
    # ... but only one confirm gets it: the other fails whole, naming the code
    status, body, _ = await confirm(client, "T2", 1)
    assert (status, body["error"]["code"]) == (409, "COUPON_UNAVAILABLE")
    assert body["error"]["details"] == [{"path": code, "issue": "ALREADY_REDEEMED"}]
    again = await evaluate(client, "T5", [item("1", "X", 1, 10.00)], coupons=(code,))
    assert again["couponResults"][0]["status"] == "ALREADY_REDEEMED" and again["totals"]["discount"] == 0


async def test_a_code_reserved_by_the_transaction_is_usable_for_it_only(client, codes, rdb):
    code = codes[1]
    status, r, _ = await post(client, "/pos/coupons/reserve", {"code": code, "transactionId": "T1"})
    assert status == 200
    mine = await evaluate(client, "T1", [item("1", "X", 1, 10.00)], coupons=(code,))
    theirs = await evaluate(client, "T2", [item("1", "X", 1, 10.00)], coupons=(code,))
    assert mine["couponResults"][0]["status"] == "APPLIED" and mine["totals"]["discount"] == 2.0
    assert theirs["couponResults"][0]["status"] == "RESERVED_ELSEWHERE" and theirs["totals"]["discount"] == 0
    assert (await confirm(client, "T1", 1))[0] == 200  # claimed through the reservation
    status, body, _ = await post(client, "/pos/coupons/redeem", {"reservationId": r["reservationId"]})
    assert (status, body["error"]["code"]) == (409, "ALREADY_REDEEMED")


async def test_a_redemption_limit_holds_for_baskets_priced_before_it_ran_out(client, services, codes, rdb):
    twice = {"id": "TWICE", "name": "0.30 off, two redemptions", "type": "ARTICLE", "budget": {"redemptions": 2},
             "actions": [{"type": "ARTICLE", "values": ["R"], "amountOff": 0.30}]}
    await load(services, [*promos.ALL, twice])
    for t in ("T1", "T2", "T3"):  # all priced while the budget still had room
        body = await evaluate(client, t, [item("1", "R", 1, 3.00)])
        assert body["totals"]["discount"] == 0.3
    assert [(await confirm(client, t, 1))[0] for t in ("T1", "T2")] == [200, 200]
    status, body, _ = await confirm(client, "T3", 1)
    assert (status, body["error"]["details"]) == (409, [{"path": "TWICE", "issue": "redemptions"}])
    assert budget(rdb, "TWICE")["redemptions_consumed"] == "2"


async def test_generic_code_counts_one_use_per_confirm(client, codes, rdb):
    for txn in ("T1", "T2"):
        body = await evaluate(client, txn, [item("1", "X", 1, 10.00)], coupons=("SUMMER",))
        assert body["couponResults"][0]["status"] == "APPLIED"
        assert (await confirm(client, txn, 1))[0] == 200
    assert rdb.hget(keys.coupon(TENANT, "SUMMER"), "uses") == "2"


async def test_returns_do_not_consume_budget(client, codes, rdb):
    await evaluate(client, "T1", [item("1", "A", 1, 10.00), item("2", "A", -1, 10.00)])
    status, answer, _ = await confirm(client, "T1", 1)
    assert status == 200
    assert budget(rdb, "BUD")["amount_consumed"] == "100"  # the sale part only; the return gives nothing back


async def test_a_refused_transaction_is_priced_without_the_promotion_others_keep_the_remainder(client, codes, rdb):
    # budget 2.00 at 1.00 per unit: T1 takes 1.00, leaving 1.00; T2, priced before T1's confirm
    # (another lane, within evaluate's lag), wants 2.00 and is refused
    await evaluate(client, "T1", [item("1", "A", 1, 10.00)])
    body = await evaluate(client, "T2", [item("1", "A", 2, 10.00)])
    assert [d["promotionId"] for d in body["lineItems"][0]["discounts"]] == ["BUD"]
    assert (await confirm(client, "T1", 1))[0] == 200
    status, refused, _ = await confirm(client, "T2", 1)
    assert (status, refused["error"]["code"], refused["error"]["details"][0]["path"]) == (409, "BUDGET_EXHAUSTED", "BUD")
    # the lane re-evaluates: T2 no longer gets BUD, so its confirm goes through
    body = await evaluate(client, "T2", [item("1", "A", 2, 10.00)])
    assert body["lineItems"][0]["discounts"] == [] and body["meta"]["header"]["transactionCounter"] == 2
    assert (await confirm(client, "T2", 2))[0] == 200
    # the 1.00 left is still offered to, and confirmed for, a smaller basket
    body = await evaluate(client, "T3", [item("1", "A", 1, 10.00)])
    assert [d["promotionId"] for d in body["lineItems"][0]["discounts"]] == ["BUD"]
    assert (await confirm(client, "T3", 1))[0] == 200
    assert budget(rdb, "BUD")["amount_consumed"] == "200"
