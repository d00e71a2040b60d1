import pytest
from redis.crc import key_slot

from dre.store import keys


def test_every_key_of_a_tenant_is_in_one_slot():
    t = "acme"
    names = [
        keys.txn_counter(t, "T1"), keys.txn_iterations(t, "T1"), keys.txn_confirmed(t, "T1"),
        keys.coupon(t, "C"), keys.coupon_customer_uses(t, "C"), keys.coupon_holds(t, "C"),
        keys.coupon_by_txn(t, "C"), keys.coupon_expiry(t), keys.coupon_type(t, "X"),
        keys.coupon_types(t), keys.reservation(t, "R"), keys.budget(t, "P"),
        keys.budget_customers(t, "P"), keys.exhausted_budgets(t), keys.idempotency(t, "s", "k"),
        keys.job(t, "T1/1"), keys.job_queue(t), keys.job_leases(t), keys.member(t, "M"),
        keys.member_event(t, "M", "e"), keys.articles(t), keys.promotions(t),
        keys.promotions_version(t), keys.none_key(t),
    ]
    assert all(n.startswith("dre:{acme}:") for n in names)
    assert len(set(names)) == len(names)
    assert {key_slot(n.encode()) for n in names} == {key_slot(b"acme")}


@pytest.mark.parametrize("bad", ["", "a{b", "a}b"])
def test_tenant_that_would_break_the_hash_tag_is_refused(bad):
    with pytest.raises(ValueError):
        keys.tenant_prefix(bad)
