"""The UnavailableStore of a service run without Redis: the Store's interface, every call of which
raises DREError 503 STORE_UNAVAILABLE (and touches nothing); ``available`` False."""
from __future__ import annotations

import inspect

import pytest

from actors.store import NO_STORE, Store, UnavailableStore
from actors.store_ops.imports import ChunkOutcome
from dre.errors import DREError
from dre.store.records import BudgetUse, CouponClaim
from dre.wire.coupon_type import CouponTypeIn

T = "acme"
# one call per public method of every part (the test below checks none is missing)
CALLS = {
    "transactions": {
        "next_counter": lambda p: p.next_counter(T, "T1", "{}"),
        "latest_counter": lambda p: p.latest_counter(T, "T1"),
        "iteration": lambda p: p.iteration(T, "T1", 1),
        "confirmable": lambda p: p.confirmable(T, "T1", 1),
        "confirm": lambda p: p.confirm(T, "T1", 1, customer_id=None, promotions=[BudgetUse("P1", 100)],
                                       coupons=[CouponClaim("C1")], answer="{}", job_payload="{}"),
        "commit_unsealed": lambda p: p.commit_unsealed(T, "T1", promotions=[BudgetUse("P1", 100)], coupons=[],
                                                       ttl_s=60),
        "commit_unsealed_batch": lambda p: p.commit_unsealed_batch(T, [("T1", [BudgetUse("P1", 100)], [])], ttl_s=60),
        "confirmed": lambda p: p.confirmed(T, "T1"),
        "sale": lambda p: p.sale(T, "T1"),
    },
    "coupons": {
        "get": lambda p: p.get(T, "C1"),
        "issue": lambda p: p.issue(T, "W", ["C1"]),
        "generate": lambda p: p.generate(T, "W", 2),
        "grant": lambda p: p.grant(T, "W", "C1", 1, "k", "g"),
        "validate": lambda p: p.validate(T, "C1"),
        "reserve": lambda p: p.reserve(T, "C1", "T1"),
        "redeem": lambda p: p.redeem(T, "R1"),
        "cancel": lambda p: p.cancel(T, "R1"),
        "activate": lambda p: p.activate(T, "C1", "U1"),
        "void": lambda p: p.void(T, "C1"),
        "sweep_reservations": lambda p: p.sweep_reservations(T),
        "of_customer": lambda p: p.of_customer(T, "U1"),
        "log_changed": lambda p: p.log_changed(T, ["C1"]),
    },
    "coupon_types": {
        "put": lambda p: p.put(T, "W", kind="INDIVIDUAL"),
        "put_validated": lambda p: p.put_validated(T, CouponTypeIn(id="W", type="INDIVIDUAL"), create_only=False),
        "get": lambda p: p.get(T, "W"),
        "all": lambda p: p.all(T),
        "delete": lambda p: p.delete(T, "W"),
    },
    "budgets": {"get": lambda p: p.get(T, "P1"), "exhausted": lambda p: p.exhausted(T),
                "customer_usage": lambda p: p.customer_usage(T, "U1", ["P1"]),
                "remaining": lambda p: p.remaining(T)},
    "loyalty": {"book": lambda p: p.book(T, "M1", "e1", 10), "points": lambda p: p.points(T, "M1"),
                "claim": lambda p: p.claim(T, "M1", "e1", "ab12"), "maintenance": lambda p: p.maintenance(T),
                "set_maintenance": lambda p: p.set_maintenance(T, "back soon")},
    "idempotency": {
        "forget_journal": lambda p: p.forget_journal(["dre:{acme}:op:x"]),
        "claim": lambda p: p.claim(T, "/r", "k", "f"),
        "put": lambda p: p.put(T, "/r", "k", "o", 200, "{}"),
        "release": lambda p: p.release(T, "/r", "k", "o"),
    },
    "jobs": {
        "claim": lambda p: p.claim(T),
        "enqueue": lambda p: p.enqueue(T, "T1/1"),
        "dequeue": lambda p: p.dequeue(T, "T1/1"),
        "complete": lambda p: p.complete(T, "J1", "{}"),
        "fail": lambda p: p.fail(T, "J1", "boom"),
        "recover": lambda p: p.recover(T),
        "get": lambda p: p.get(T, "J1"),
        "queue_length": lambda p: p.queue_length(T),
    },
    "audit": {
        "append": lambda p: p.append(T, "A1", "{}"),
        "get": lambda p: p.get(T, "A1"),
        "recent": lambda p: p.recent(T),
    },
    "promotions": {
        "put": lambda p: p.put(T, "P1", "{}"),
        "create": lambda p: p.create(T, "P1", "{}"),
        "seed": lambda p: p.seed(T, {"P1": "{}"}),
        "written": lambda p: p.written(T),
        "get": lambda p: p.get(T, "P1"),
        "delete": lambda p: p.delete(T, "P1"),
        "all": lambda p: p.all(T),
        "version": lambda p: p.version(T),
    },
    "stores": {
        "put": lambda p: p.put(T, "S1", "{}"),
        "delete": lambda p: p.delete(T, "S1"),
        "put_default": lambda p: p.put_default(T, "{}"),
        "get": lambda p: p.get(T, "S1"),
        "all": lambda p: p.all(T),
        "default": lambda p: p.default(T),
    },
    "articles": {
        "put": lambda p: p.put(T, {"A1": "{}"}),
        "upsert": lambda p: p.upsert(T, [("A1", "{}")]),
        "get": lambda p: p.get(T, ["A1"]),
        "groups": lambda p: p.groups(T, ["A1"]),
    },
    "imports": {
        "create": lambda p: p.create(T, "J1", [b"[]"], 0, 10),
        "put_chunk": lambda p: p.put_chunk(T, "J1", 0, b"[]"),
        "discard": lambda p: p.discard(T, "J1", 1),
        "queue": lambda p: p.queue(T, "J1", 1, 1, 10),
        "pending": lambda p: p.pending(T),
        "claim": lambda p: p.claim(T, "J1", "o", 30),
        "chunk": lambda p: p.chunk(T, "J1", 0),
        "advance": lambda p: p.advance(T, "J1", "o", 0, ChunkOutcome(0, 0, 0, 0), 30),
        "fail": lambda p: p.fail(T, "J1", "o", "bad"),
        "get": lambda p: p.get(T, "J1"),
        "settle": lambda p: p.settle(T, "J1"),
    },
}


def _public_methods(part: object) -> set[str]:
    return {n for n, f in inspect.getmembers(type(part), inspect.iscoroutinefunction) if not n.startswith("_")}


def test_the_table_covers_every_part_and_method():
    store = UnavailableStore()
    parts = {n for n, v in vars(store).items() if n not in ("core", "faults")}
    assert parts == set(CALLS)
    for name, calls in CALLS.items():
        assert _public_methods(getattr(store, name)) == set(calls), name


@pytest.mark.parametrize("part,method", [(p, m) for p, calls in CALLS.items() for m in calls])
async def test_every_call_answers_503(part, method):
    store = UnavailableStore()
    with pytest.raises(DREError) as err:
        await CALLS[part][method](getattr(store, part))
    assert (err.value.status, err.value.code, err.value.message) == (503, "STORE_UNAVAILABLE", NO_STORE)


async def test_the_store_itself():
    store = UnavailableStore("no redis here")
    assert isinstance(store, Store) and store.available is False
    assert store.circuit is None and store.last_ok is None  # the heartbeat's "none"
    with pytest.raises(DREError) as err:
        await store.ping()
    assert (err.value.status, err.value.message) == (503, "no redis here")
    with pytest.raises(DREError):
        store.breaker
    await store.aclose()
    await store.aclose()  # idempotent, nothing to stop


async def test_a_real_store_is_available(store):
    assert store.available is True and store.circuit == "closed"
