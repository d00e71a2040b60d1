import pytest
from redis.crc import key_slot

from dre.store import keys


def test_what_a_confirm_commits_is_in_the_tenants_slot():
    t = "acme"
    names = [
        keys.txn_confirmed(t, "T1"),
        keys.coupon(t, "C"), keys.coupon_customer_uses(t, "C"), keys.coupon_holds(t, "C"),
        keys.coupon_by_txn(t, "C"), keys.coupon_expiry(t), keys.coupon_type(t, "X"),
        keys.coupon_types(t), keys.reservation(t, "R"), keys.budget(t, "P"),
        keys.budget_customers(t, "P"), keys.exhausted_budgets(t),
        keys.job_grants(t, "T1/1"), keys.articles(t), keys.promotions(t),
        keys.promotions_version(t), keys.none_key(t),
    ]
    assert all(n.startswith("dre:{acme}:") for n in names)
    assert len(set(names)) == len(names)
    assert {key_slot(n.encode()) for n in names} == {key_slot(b"acme")}
    # a code's five keys at once: the same names
    assert keys.coupon_code_keys(t, "C:1") == (keys.coupon(t, "C:1"), keys.coupon_customer_uses(t, "C:1"),
                                               keys.coupon_holds(t, "C:1"), keys.coupon_by_txn(t, "C:1"),
                                               keys.coupon_holders(t, "C:1"))


def test_a_transactions_evaluate_keys_a_members_and_an_idempotency_key_have_slots_of_their_own():
    t = "acme"
    txn = [keys.txn_counter(t, "T1"), keys.txn_iterations(t, "T1"), keys.txn_refused(t, "T1"),
           keys.txn_seal(t, "T1"), keys.txn_answer(t, "T1"), keys.txn_done(t, "T1"), keys.job(t, "T1/1"),
           keys.audit_record(t, "T1/1")]
    assert all(n.startswith("dre:{acme:txn:T1}:") for n in txn) and len(set(txn)) == len(txn)
    # the evaluate path's five at once: the same names (counter, iterations, seal, answer, refused)
    assert keys.txn_slot_keys(t, "T:1") == (keys.txn_counter(t, "T:1"), keys.txn_iterations(t, "T:1"),
                                            keys.txn_seal(t, "T:1"), keys.txn_answer(t, "T:1"),
                                            keys.txn_refused(t, "T:1"))
    member = [keys.member(t, "M"), keys.member_event(t, "M", "e")]
    assert all(n.startswith("dre:{acme:member:M}:") for n in member)
    assert keys.idempotency(t, "s", "k").startswith("dre:{acme:idem:s/k}:")
    # 200 transactions of one tenant land on (nearly) 200 slots: spread over every master
    assert len({key_slot(keys.txn_counter(t, f"T{i}").encode()) for i in range(200)}) > 190


@pytest.mark.parametrize("bad", ["", "a{b", "a}b"])
def test_tenant_that_would_break_the_hash_tag_is_refused(bad):
    with pytest.raises(ValueError):
        keys.tenant_prefix(bad)


def _all_keys(t: str, i: str) -> list[str]:
    """Every key function, with the caller's id ``i`` wherever it takes one."""
    return [
        keys.txn_counter(t, i), keys.txn_iterations(t, i), keys.txn_confirmed(t, i), keys.txn_refused(t, i),
        keys.coupon(t, i), keys.coupon_customer_uses(t, i), keys.coupon_holds(t, i), keys.coupon_by_txn(t, i),
        keys.coupon_expiry(t), keys.coupon_type(t, i), keys.coupon_types(t), keys.customer_coupons(t, i),
        keys.reservation(t, i), keys.budget(t, i), keys.budget_customers(t, i), keys.exhausted_budgets(t),
        keys.idempotency(t, i, i), keys.job(t, i + "/1"), keys.job_grants(t, i), *keys.job_buckets(t),
        keys.audit_record(t, i), *keys.audit_logs(t), keys.member(t, i), keys.member_event(t, i, i),
        keys.articles(t), keys.promotions(t), keys.promotions_version(t), keys.promotions_written(t),
        keys.import_job(t, i), keys.import_chunk(t, i, 0), keys.import_errors(t, i), keys.imports_pending(t),
        keys.none_key(t),
    ]


@pytest.mark.parametrize("crafted", ["G:holds", "M:event:[1,2]", "T1:counter", "a%3Ab", "{other}", "x}y{"])
def test_an_id_carrying_key_syntax_names_only_its_own_keys(crafted):
    """``coupon(t, "G:holds")`` must not be the holds set of code G (a WRONGTYPE 500 before)."""
    plain = set(_all_keys("acme", "G")) | set(_all_keys("acme", "M")) | set(_all_keys("acme", "T1"))
    plain |= set(_all_keys("acme", "a:b"))
    mine = _all_keys("acme", crafted)
    ids_keys = [k for k in mine if k not in set(_all_keys("acme", "any"))]  # the ones that carry the id
    assert not set(ids_keys) & plain
    for k in ids_keys:  # one hash tag, first, naming the tenant (and the id, escaped); no brace after it
        tag, rest = k[len("dre:{"):].split("}", 1)
        assert tag == "acme" or tag.startswith("acme:") and tag.count(":") == 2, k
        assert "{" not in tag and "{" not in rest and "}" not in rest
    confirm_set = [k for k in mine if k.startswith("dre:{acme}:")]
    assert {key_slot(k.encode()) for k in confirm_set} == {key_slot(b"acme")}


def test_ids_without_key_syntax_keep_their_key_names():
    assert keys.coupon("acme", "SUMMER-10") == "dre:{acme}:coupon:SUMMER-10"
    assert keys.txn_counter("acme", "T 1/x") == "dre:{acme:txn:T 1/x}:counter"


@pytest.mark.parametrize("value", ["", "SUMMER-10", "a:b", "%", "x%3Ay", "{t}", "}{", "ü:€"])
def test_part_escapes_exactly_the_key_syntax(value):
    expected = value.replace("%", "%25").replace(":", "%3A").replace("{", "%7B").replace("}", "%7D")
    assert keys.part(value) == expected


def test_the_job_queue_buckets_share_the_slot_range_evenly():
    """Bucket i lies in the i-th twelfth of the slots: 3 masters with equal ranges get 4 each."""
    for t in ("acme", "a:b", "x%y"):
        buckets = keys.job_buckets(t)
        assert len(set(buckets)) == keys.JOB_BUCKETS
        assert [key_slot(b.encode()) * keys.JOB_BUCKETS // 16384 for b in buckets] == list(range(keys.JOB_BUCKETS))
    # a tenant's jobs spread over the buckets by transaction
    used = {keys.job_bucket("acme", keys.job_id(f"T{i}", 1)) for i in range(200)}
    assert used == set(keys.job_buckets("acme"))


@pytest.mark.parametrize("txn", ["T1", "T 1/x", "a:b", "{t}", "x/y/z"])
def test_a_confirms_transaction_keys_at_once_are_the_same_names(txn):
    """What the confirm's seal and settle take (txn_settle.lua's order) names each key as the
    one-key functions do, for ids with key syntax and slashes too (a job id is txn/counter)."""
    t = "acme"
    assert keys.txn_confirm_keys(t, txn, 3) == (
        *keys.txn_slot_keys(t, txn), keys.job(t, keys.job_id(txn, 3)), keys.txn_done(t, txn))
    assert keys.txn_slot_keys(t, txn) == (keys.txn_counter(t, txn), keys.txn_iterations(t, txn),
                                          keys.txn_seal(t, txn), keys.txn_answer(t, txn), keys.txn_refused(t, txn))
