"""A confirm across two slots (transaction's, tenant's) stays all-or-nothing and commits only the
latest iteration: the seal holds off new counters while the commit is in flight, and a seal left by
a worker that died lapses on its own with nothing consumed."""
import pytest
import trio

from actors.store import open_store
from actors.store_ops import transactions as txns
from dre.errors import DREError
from dre.store import keys
from dre.store.records import BudgetUse
from tests.store.test_store_actor import _hold, _release

USE = BudgetUse("P1", 100, amount_limit_cents=10_000)


async def confirm(store, tenant, txn, counter):
    return await store.transactions.confirm(tenant, txn, counter, customer_id=None, promotions=[USE], coupons=[],
                                            answer=f'{{"c": {counter}}}', job_payload="{}")


async def test_an_evaluate_at_the_same_instant_waits_for_the_commit_and_gets_the_next_counter(store, tenant,
                                                                                              monkeypatch):
    await store.transactions.next_counter(tenant, "T", "{}")
    go = trio.Event()
    real = store.transactions._commit

    async def slow_commit(*args, **kwargs):
        await go.wait()  # the commit is on its way to the tenant's slot...
        return await real(*args, **kwargs)

    monkeypatch.setattr(store.transactions, "_commit", slow_commit)
    got = {}

    async def evaluate():
        got["counter"] = await store.transactions.next_counter(tenant, "T", "{}")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(confirm, store, tenant, "T", 1)
        await trio.sleep(0.05)
        nursery.start_soon(evaluate)
        await trio.sleep(0.1)
        assert "counter" not in got  # ...and no new counter is issued meanwhile
        assert store.core.client.exists(keys.txn_seal(tenant, "T"))
        go.set()
    assert got["counter"] == 2 and not store.core.client.exists(keys.txn_seal(tenant, "T"))
    with pytest.raises(DREError) as err:  # the newer iteration: the transaction is confirmed
        await confirm(store, tenant, "T", 2)
    assert err.value.code == "ALREADY_CONFIRMED"
    assert (await store.budgets.get(tenant, "P1")).redemptions_consumed == 1


async def test_a_seal_left_by_a_dead_worker_lapses_and_nothing_was_consumed(store, tenant, monkeypatch):
    await store.transactions.next_counter(tenant, "T", "{}")
    monkeypatch.setattr(txns, "SEAL_TTL_S", 0.3)
    sealed = await store.transactions._seal(tenant, "T", 1, 300, ("T/1", "{}", 0))  # a confirm whose worker then died
    assert sealed[0] == "CONFIRMABLE"
    with trio.fail_after(2):
        assert await store.transactions.next_counter(tenant, "T", "{}") == 2  # waited for the lapse
    assert not store.core.client.exists(keys.budget(tenant, "P1"))  # nothing consumed
    assert (await confirm(store, tenant, "T", 2)).replayed is False
    assert (await store.budgets.get(tenant, "P1")).redemptions_consumed == 1


async def test_a_refused_confirm_lets_go_of_the_seal_and_remembers_the_refusal(store, tenant):
    await store.transactions.next_counter(tenant, "A", "{}")
    await store.transactions.next_counter(tenant, "B", "{}")
    full = BudgetUse("P1", 100, amount_limit_cents=100)
    await store.transactions.confirm(tenant, "A", 1, customer_id=None, promotions=[full], coupons=[], answer="{}",
                                     job_payload="{}")
    with pytest.raises(DREError) as err:
        await store.transactions.confirm(tenant, "B", 1, customer_id=None, promotions=[full], coupons=[],
                                         answer="{}", job_payload="{}")
    assert err.value.code == "BUDGET_EXHAUSTED"
    assert not store.core.client.exists(keys.txn_seal(tenant, "B"))
    assert store.core.client.smembers(keys.txn_refused(tenant, "B")) == {"P1"}
    assert not store.core.client.exists(keys.job(tenant, "B/1"))  # the refused confirm's HELD job is gone
    assert store.core.client.hget(keys.job(tenant, "A/1"), "status") == "PENDING"


async def test_a_slow_store_is_not_taken_for_a_confirm_in_flight(redis_url, tenant, monkeypatch):
    # The wait for a seal starts at the first sealed reply, not with the call: a call slower than
    # SEALED_WAIT_S (its connection held here) gets its counter, not "being confirmed".
    monkeypatch.setattr(txns, "SEALED_WAIT_S", 0.05)
    async with open_store(redis_url, pool_size=1) as s:
        got = {}
        async with trio.open_nursery() as n:
            n.start_soon(lambda: s.core.call(_hold))

            async def evaluate():
                got["counter"] = await s.transactions.next_counter(tenant, "T", "{}")

            n.start_soon(evaluate)
            await trio.sleep(0.3)  # both queued behind the held connection, far past SEALED_WAIT_S
            await trio.to_thread.run_sync(_release, redis_url)
    assert got == {"counter": 1}



async def test_the_seal_checks_the_iteration_without_sending_it_back(store, tenant):
    """A confirm has its iteration already (the judge read it): sealing only checks that it is
    kept, instead of copying it (KBs for a big basket) through Lua and over the wire again."""
    big = '{"lines": "' + "x" * 5000 + '"}'
    await store.transactions.next_counter(tenant, "T", big)
    assert (await store.transactions.confirmable(tenant, "T", 1)).iteration == big  # judging: it
    sealed = await store.transactions._seal(tenant, "T", 1, 15_000, (keys.job_id("T", 1), "{}", 1))
    assert sealed == ["CONFIRMABLE", ""]
    await store.transactions._settle(tenant, "T", 1, ["", ""], 60)
    store.core.client.hdel(keys.txn_iterations(tenant, "T"), 1)  # expired meanwhile: still refused
    with pytest.raises(DREError) as gone:
        await confirm(store, tenant, "T", 1)
    assert gone.value.status == 404


async def test_a_seal_holds_only_its_count_and_one_of_the_release_before_still_works(store, tenant, monkeypatch):
    """The seal is {n} (its counter was never read); a seal written by the release before,
    {counter, n}, still holds off new counters and is counted down and let go alike."""
    client = store.core.client
    await store.transactions.next_counter(tenant, "T", "{}")
    seen = {}
    real = store.transactions._commit

    async def looking_commit(*args, **kwargs):
        seen["seal"] = client.hgetall(keys.txn_seal(tenant, args[1]))  # while the commit is on its way
        return await real(*args, **kwargs)

    monkeypatch.setattr(store.transactions, "_commit", looking_commit)
    await confirm(store, tenant, "T", 1)
    assert seen["seal"] == {"n": "1"} and not client.exists(keys.txn_seal(tenant, "T"))

    await store.transactions.next_counter(tenant, "U", "{}")
    client.hset(keys.txn_seal(tenant, "U"), mapping={"counter": 1, "n": 1})  # a confirm of the release before
    client.pexpire(keys.txn_seal(tenant, "U"), 15_000)
    with trio.move_on_after(0.05):  # sealed: no counter is issued
        await store.transactions.next_counter(tenant, "U", "{}")
        raise AssertionError("a counter was issued under a seal of the release before")
    await confirm(store, tenant, "U", 1)  # this release's confirm of the same counter holds it too
    assert seen["seal"] == {"counter": "1", "n": "2"}
    assert client.hget(keys.txn_seal(tenant, "U"), "n") == "1"  # the other confirm still holds it
    await store.transactions._settle(tenant, "U", 1, ["CONFIRMED", '{"c": 1}'], txns.TXN_TTL_S)  # it settles
    assert not client.exists(keys.txn_seal(tenant, "U"))
    assert (await store.budgets.get(tenant, "P1")).redemptions_consumed == 2  # T and U, once each


async def test_the_seal_judges_by_the_done_marker_first_then_the_counter(store, tenant):
    """txn_seal.lua judges by the done marker, then by the counter: never issued, stale, confirmed
    long ago (the marker wins over the counter); a refused seal writes nothing."""
    seal = store.transactions._seal
    client = store.core.client

    def job(counter):
        return keys.job_id("T", counter), "{}", 1

    assert await seal(tenant, "T", 1, 0) == ["NEVER_ISSUED", "T"]  # no counter at all
    await store.transactions.next_counter(tenant, "T", "{}")
    await store.transactions.next_counter(tenant, "T", "{}")
    assert await seal(tenant, "T", 3, 0) == ["NEVER_ISSUED", "T"]  # past the latest
    assert await seal(tenant, "T", 0, 0) == ["NEVER_ISSUED", "T"]
    assert await seal(tenant, "T", 1, 15_000, job(1)) == ["STALE_ITERATION", "T", "2"]
    assert not client.exists(keys.txn_seal(tenant, "T")) and not client.exists(keys.job(tenant, "T/1"))
    assert (await seal(tenant, "T", 2, 0))[0] == "CONFIRMABLE"
    client.set(keys.txn_done(tenant, "T"), "1")  # counter 1 confirmed long ago (its answer copy gone)
    for counter in (1, 2, 3):  # the marker decides before the counter is looked at
        assert await seal(tenant, "T", counter, 15_000, job(counter)) == ["ALREADY_CONFIRMED", "T", "1"]
    assert not client.exists(keys.txn_seal(tenant, "T"))
