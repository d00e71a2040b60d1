"""next_counter and confirm: counters, staleness, budgets, coupon claims, replays, the job."""
import orjson
import pytest
import redis

from actors.store_ops.transactions import RefusedPromotions
from dre.errors import DREError
from dre.store import keys
from dre.store.records import BudgetUse, CouponClaim

NOW = 1_800_000_000_000


def snapshot(client: redis.Redis, tenant: str) -> dict:
    """Every key of the tenant with its value: to prove that a failed call changed nothing."""
    out = {}
    for k in client.scan_iter(f"dre:{{{tenant}}}:*"):
        t = client.type(k)
        if t == "string":
            out[k] = client.get(k)
        elif t == "hash":
            out[k] = client.hgetall(k)
        elif t == "set":
            out[k] = client.smembers(k)
        elif t == "zset":
            out[k] = client.zrange(k, 0, -1, withscores=True)
        elif t == "list":
            out[k] = client.lrange(k, 0, -1)
    return out


async def confirm(store, tenant, txn, counter, promotions=(), coupons=(), customer="C1", answer=None):
    return await store.transactions.confirm(
        tenant, txn, counter, customer_id=customer, promotions=list(promotions),
        coupons=list(coupons), answer=answer or orjson.dumps({"t": txn, "c": counter}).decode(),
        job_payload=orjson.dumps({"txn": txn}).decode(), now=NOW,
    )


async def test_counters_start_at_one_and_only_latest_iteration_is_kept(store, tenant):
    assert [await store.transactions.next_counter(tenant, "T1", f'{{"i":{i}}}') for i in range(3)] == [1, 2, 3]
    assert await store.transactions.iteration(tenant, "T1", 3) == '{"i":2}'
    assert await store.transactions.iteration(tenant, "T1", 2) is None
    assert 0 < store.core.client.pttl(keys.txn_counter(tenant, "T1")) <= 24 * 3600 * 1000


async def test_confirm_consumes_budget_and_enqueues_job(store, tenant):
    await store.transactions.next_counter(tenant, "T1", "{}")
    res = await confirm(store, tenant, "T1", 1, [BudgetUse("P1", 250, 10, 1000, 2)])
    assert (res.replayed, res.exhausted, res.job_id) == (False, (), "T1/1")
    b = await store.budgets.get(tenant, "P1")
    assert (b.amount_consumed_cents, b.redemptions_consumed) == (250, 1)
    job = await store.jobs.get(tenant, "T1/1")
    assert job["status"] == "PENDING" and orjson.loads(job["payload"]) == {"txn": "T1"}
    assert await store.jobs.queue_length(tenant) == 1
    assert await store.transactions.confirmed(tenant, "T1") == (1, res.answer)


async def test_confirm_replay_returns_first_answer_and_changes_nothing(store, tenant):
    await store.transactions.next_counter(tenant, "T1", "{}")
    first = await confirm(store, tenant, "T1", 1, [BudgetUse("P1", 100)], answer='{"first":1}')
    before = snapshot(store.core.client, tenant)
    again = await confirm(store, tenant, "T1", 1, [BudgetUse("P1", 100)], answer='{"second":1}')
    assert again.replayed and again.answer == first.answer == '{"first":1}'
    assert snapshot(store.core.client, tenant) == before


async def test_stale_unknown_and_other_counter(store, tenant):
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "NEVER", 1)
    assert (e.value.status, e.value.code) == (404, "NOT_FOUND")
    await store.transactions.next_counter(tenant, "T1", "{}")
    await store.transactions.next_counter(tenant, "T1", "{}")
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T1", 1)
    assert (e.value.status, e.value.code) == (409, "STALE_ITERATION")
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T1", 3)
    assert (e.value.status, e.value.code) == (404, "NOT_FOUND")
    await confirm(store, tenant, "T1", 2)
    await store.transactions.next_counter(tenant, "T1", "{}")  # an evaluate after the confirm
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T1", 3)
    assert (e.value.status, e.value.code) == (409, "ALREADY_CONFIRMED")
    assert (await confirm(store, tenant, "T1", 2)).replayed


@pytest.mark.parametrize(
    "use, reason",
    [
        (BudgetUse("P1", 501, amount_limit_cents=1000), "amount"),
        (BudgetUse("P1", 1, redemption_limit=1), "redemptions"),
        (BudgetUse("P1", 1, per_customer_limit=1), "perCustomer"),
    ],
)
async def test_budget_exhausted_names_promotion_and_changes_nothing(store, tenant, use, reason):
    await store.transactions.next_counter(tenant, "A", "{}")
    await confirm(store, tenant, "A", 1, [BudgetUse("P1", 500), BudgetUse("P2", 1)])
    await store.transactions.next_counter(tenant, "B", "{}")
    before = snapshot(store.core.client, tenant)
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "B", 1, [BudgetUse("P2", 1), use])
    assert (e.value.status, e.value.code) == (409, "BUDGET_EXHAUSTED")
    assert e.value.details[0].path == "P1" and e.value.details[0].issue == reason
    after = snapshot(store.core.client, tenant)
    refused_key = keys.txn_refused(tenant, "B")
    # nothing consumed or claimed; only the refusal is remembered for this transaction's next
    # evaluate (the per-customer limit is the customer's, not the basket's: nothing to remember)
    assert {k: v for k, v in after.items() if k != refused_key} == before
    assert await store.transactions.next_counter(tenant, "A", "{}") == 2  # A has no refusals
    if reason == "perCustomer":
        assert await store.transactions.next_counter(tenant, "B", "{}") == 2
    else:  # B's next iteration is issued only once it is priced without P1
        with pytest.raises(RefusedPromotions) as refusal:
            await store.transactions.next_counter(tenant, "B", "{}")
        assert refusal.value.ids == {"P1"} and store.core.client.get(keys.txn_counter(tenant, "B")) == "1"
        assert await store.transactions.next_counter(tenant, "B", "{}", priced_without=["P1", "P9"]) == 2


async def test_exhausted_set_gets_promotions_used_up(store, tenant):
    for i, txn in enumerate(["A", "B"]):
        await store.transactions.next_counter(tenant, txn, "{}")
        res = await confirm(store, tenant, txn, 1, [BudgetUse("P1", 500, amount_limit_cents=1000),
                                                    BudgetUse("P2", 1, redemption_limit=5)])
        assert res.exhausted == ((), ("P1",))[i]
    assert await store.budgets.exhausted(tenant) == {"P1"}


async def test_per_customer_budget_is_per_customer(store, tenant):
    use = BudgetUse("P1", 1, per_customer_limit=1)
    for txn, cust in [("A", "C1"), ("B", "C2"), ("C", "")]:
        await store.transactions.next_counter(tenant, txn, "{}")
        await confirm(store, tenant, txn, 1, [use], customer=cust)
    await store.transactions.next_counter(tenant, "D", "{}")
    with pytest.raises(DREError):
        await confirm(store, tenant, "D", 1, [use], customer="C2")


async def test_confirm_claims_reserved_and_active_coupons(store, tenant):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="W")
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", max_redemptions=2,
                                 max_redemptions_per_customer=1)
    reserved, direct = await store.coupons.generate(tenant, "W", 2)
    r = await store.coupons.reserve(tenant, reserved, "T1", now=NOW)
    g = await store.coupons.reserve(tenant, "SUMMER", "T1", customer_id="C1", now=NOW)
    await store.transactions.next_counter(tenant, "T1", "{}")
    await confirm(store, tenant, "T1", 1, coupons=[
        CouponClaim(reserved, r.reservation_id), CouponClaim(direct), CouponClaim("SUMMER", g.reservation_id)])
    for code in (reserved, direct):
        c = await store.coupons.get(tenant, code)
        assert (c["status"], c["redeemedBy"]) == ("REDEEMED", "T1")
    s = await store.coupons.get(tenant, "SUMMER")
    assert s["uses"] == "1" and store.core.client.zcard(keys.coupon_holds(tenant, "SUMMER")) == 0
    # the same customer again: the GENERIC per-customer limit (1) is reached
    await store.transactions.next_counter(tenant, "T2", "{}")
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T2", 1, coupons=[CouponClaim("SUMMER")])
    assert e.value.code == "COUPON_UNAVAILABLE" and e.value.details[0].issue == "LIMIT_REACHED"


async def test_a_direct_use_writes_no_entry_and_a_reserved_one_closes_its_reservation(store, tenant):
    """A code used without a reservation gets no per-transaction entry (nothing reads one: for a
    GENERIC code claimed by every sale it was a field and a sweep per sale); a use through a
    reservation marks its entry REDEEMED, so a late reserve of that transaction is a replay."""
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    for txn in ("T1", "T2"):
        await store.transactions.next_counter(tenant, txn, "{}")
    held = await store.coupons.reserve(tenant, "SUMMER", "T2", now=NOW)
    await confirm(store, tenant, "T1", 1, coupons=[CouponClaim("SUMMER")])
    await confirm(store, tenant, "T2", 1, coupons=[CouponClaim("SUMMER", held.reservation_id)])
    bytxn = store.core.client.hgetall(keys.coupon_by_txn(tenant, "SUMMER"))
    assert list(bytxn) == ["T2"] and bytxn["T2"].startswith("REDEEMED|")
    assert (await store.coupons.get(tenant, "SUMMER"))["uses"] == "2"
    again = await store.coupons.reserve(tenant, "SUMMER", "T2", now=NOW + 1)
    assert again.replayed and again.reservation_id == held.reservation_id


async def test_coupon_unavailable_names_code_and_changes_nothing(store, tenant):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="W")
    ok, taken = await store.coupons.generate(tenant, "W", 2)
    await store.coupons.reserve(tenant, taken, "OTHER", now=NOW)
    await store.transactions.next_counter(tenant, "T1", "{}")
    before = snapshot(store.core.client, tenant)
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T1", 1, [BudgetUse("P1", 100)],
                      coupons=[CouponClaim(ok), CouponClaim(taken)])
    assert (e.value.status, e.value.code) == (409, "COUPON_UNAVAILABLE")
    assert (e.value.details[0].path, e.value.details[0].issue) == (taken, "RESERVED_ELSEWHERE")
    assert snapshot(store.core.client, tenant) == before
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T1", 1, coupons=[CouponClaim("NOPE")])
    assert e.value.details[0].issue == "INVALID"


async def test_each_code_of_a_confirm_is_judged_by_its_own_type(store, tenant):
    """One run of confirm.lua reads each coupon type once (load_code's TYPES_READ in _common.lua):
    a code of an ACTIVE type and one of an INACTIVE type, in one confirm, are each judged by
    their own, and the confirm is refused for the second."""
    await store.coupon_types.put(tenant, "ON", kind="INDIVIDUAL", prefix="ON")
    await store.coupon_types.put(tenant, "OFF", kind="INDIVIDUAL", prefix="OFF")
    (on,), (off,) = await store.coupons.generate(tenant, "ON", 1), await store.coupons.generate(tenant, "OFF", 1)
    await store.coupon_types.put(tenant, "OFF", kind="INDIVIDUAL", status="INACTIVE", prefix="OFF")
    await store.transactions.next_counter(tenant, "T1", "{}")
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T1", 1, coupons=[CouponClaim(on), CouponClaim(off)])
    detail = e.value.details[0]
    assert (e.value.code, detail.path, detail.issue) == ("COUPON_UNAVAILABLE", off, "NOT_ACTIVE")
    assert (await store.coupons.get(tenant, on))["status"] == "ACTIVE"


async def test_duplicate_promotion_or_code_is_a_programming_error(store, tenant):
    with pytest.raises(ValueError):
        await confirm(store, tenant, "T", 1, [BudgetUse("P", 1), BudgetUse("P", 2)])
    with pytest.raises(ValueError):
        await confirm(store, tenant, "T", 1, coupons=[CouponClaim("A"), CouponClaim("A")])


async def test_a_transaction_is_never_consumed_twice_after_its_answer_is_gone(store, tenant, redis_url):
    """A day later the answer, the counter and the iterations have expired; the transactionId comes
    again (a reused id, or a very late retry): priced, but its confirm is refused, not consumed."""
    use = BudgetUse("P1", 500, redemption_limit=100)
    await store.transactions.next_counter(tenant, "T1", "{}")
    await confirm(store, tenant, "T1", 1, [use])
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    assert raw.ttl(keys.txn_done(tenant, "T1")) > 300 * 24 * 3600  # kept for over a year
    for k in (keys.txn_counter(tenant, "T1"), keys.txn_iterations(tenant, "T1"), keys.txn_confirmed(tenant, "T1"),
              keys.txn_answer(tenant, "T1")):
        raw.delete(k)  # what a day's expiry does
    assert await store.transactions.next_counter(tenant, "T1", "{}") == 1
    with pytest.raises(DREError) as err:
        await confirm(store, tenant, "T1", 1, [use])
    assert (err.value.status, err.value.code) == (409, "ALREADY_CONFIRMED")
    assert "confirmed with counter 1" in err.value.message
    assert (await store.budgets.get(tenant, "P1")).redemptions_consumed == 1


async def test_evaluating_a_confirmed_transaction_keeps_its_answer_for_replays(store, tenant, redis_url):
    await store.transactions.next_counter(tenant, "T1", "{}")
    first = await confirm(store, tenant, "T1", 1, answer='{"first": true}')
    raw = redis.Redis.from_url(redis_url)
    iterations = keys.txn_iterations(tenant, "T1")  # the copy in the transaction's slot lives there
    assert raw.hmget(iterations, "answerCounter", "answer") == [b"1", first.answer.encode()]
    raw.pexpire(keys.txn_confirmed(tenant, "T1"), 5_000)  # the answer is about to lapse...
    raw.pexpire(iterations, 5_000)  # (and its copy)
    await store.transactions.next_counter(tenant, "T1", "{}")  # ...but the lane is still at it
    assert raw.pttl(iterations) > 3600 * 1000 and raw.hget(iterations, "answer") == first.answer.encode()
    again = await confirm(store, tenant, "T1", 1, answer='{"second": true}')
    assert again.replayed and again.answer == first.answer
    with pytest.raises(DREError) as err:  # a later counter of the confirmed transaction
        await confirm(store, tenant, "T1", 2, answer='{"third": true}')
    assert (err.value.status, err.value.code) == (409, "ALREADY_CONFIRMED")
    s = store.core.scripts.sync_iteration_put  # central's check before keeping a forwarded iteration
    k = [keys.txn_counter(tenant, "T1"), iterations, keys.txn_answer(tenant, "T1")]
    assert await store.core.call_script(s, k, [1, "{}", 60_000], int) == 0  # confirmed already: not kept


async def test_an_answer_copy_of_the_older_release_a_hash_of_its_own_is_still_read(store, tenant, redis_url):
    """The copy is two fields of the iterations hash now (one key less per confirm); a copy the
    release before kept in a hash of its own still answers replays while it lasts (a day), though
    the tenant's confirmed marker is gone, and the forwarded-iteration check still sees it."""
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    await store.transactions.next_counter(tenant, "OLD", "{}")
    # what the release before left: the answer in a hash of its own, the done marker
    raw.hset(keys.txn_answer(tenant, "OLD"), mapping={"counter": 1, "answer": '{"first": true}'})
    raw.set(keys.txn_done(tenant, "OLD"), "1")
    again = await confirm(store, tenant, "OLD", 1, answer='{"second": true}')
    assert again.replayed and again.answer == '{"first": true}'
    assert not raw.exists(keys.txn_confirmed(tenant, "OLD"))  # answered from the copy, nothing committed
    await store.transactions.next_counter(tenant, "OLD", "{}")
    with pytest.raises(DREError) as err:
        await confirm(store, tenant, "OLD", 2)
    assert (err.value.status, err.value.code) == (409, "ALREADY_CONFIRMED")
    s = store.core.scripts.sync_iteration_put
    k = [keys.txn_counter(tenant, "OLD"), keys.txn_iterations(tenant, "OLD"), keys.txn_answer(tenant, "OLD")]
    assert await store.core.call_script(s, k, [1, "{}", 60_000], int) == 0  # confirmed already: not kept


async def test_a_confirmed_marker_of_the_older_release_a_hash_is_still_judged(store, tenant):
    """The marker is a string now (one SET); a hash left by the release before is read until it lapses."""
    store.core.client.hset(keys.txn_confirmed(tenant, "OLD"), mapping={"counter": 1, "answer": '"first"'})
    none = keys.none_key(tenant)
    k = [none, none, keys.txn_confirmed(tenant, "OLD"), none]
    judge = store.core.call_batched
    assert await judge(store.core.scripts.confirm, k, ["OLD", 1, "", 0, 0, ""]) == ["REPLAYED", '"first"']
    assert await judge(store.core.scripts.confirm, k, ["OLD", 2, "", 0, 0, ""]) == ["ALREADY_CONFIRMED", "OLD", "1"]
    assert await store.transactions.confirmed(tenant, "OLD") == (1, '"first"')
    await store.transactions.next_counter(tenant, "NEW", "{}")
    await confirm(store, tenant, "NEW", 1, answer='{"a": ":x:"}')
    assert await store.transactions.confirmed(tenant, "NEW") == (1, '{"a": ":x:"}')
