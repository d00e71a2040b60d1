"""The engine: same answers as the one-shot evaluator, micro-batching, hot swap, crashes, timeouts."""
from __future__ import annotations

import threading
import time

import pytest
import trio

from actors import ENGINE_UNAVAILABLE, build_promotion_set, open_engine
from dre.errors import DREError
from dre.evaluate import ReferenceSet


@pytest.mark.parametrize("shards", [1, 3])  # one shard prices both phases in its actor, no resolver
async def test_prices_like_the_reference_evaluator(rules, basket, shards):
    promos, ctx = rules
    batches: list[str] = []
    async with open_engine(shards=shards, warm_up=False, observe=lambda k, n: batches.append(k)) as engine:
        engine.load("t", promos)
        priced = await engine.price("t", basket, ctx)
    assert priced.result == ReferenceSet(promos).evaluate(basket, ctx)
    assert priced.pset.version == 1 and priced.pset.n_shards == shards
    assert batches.count("shard") == shards and batches.count("resolver") == (0 if shards == 1 else 1)


async def test_unknown_tenant_has_an_empty_set(basket, rules):
    async with open_engine(shards=2, warm_up=False) as engine:
        priced = await engine.price("nobody", basket, rules[1])
    assert priced.pset.version == 0 and priced.result.applied == ()


@pytest.mark.parametrize("shards", [1, 2])
async def test_concurrent_requests_are_batched(rules, basket, shards):
    promos, ctx = rules
    sizes: list[tuple[str, int]] = []
    async with open_engine(shards=shards, warm_up=False, timeout_s=10, observe=lambda k, n: sizes.append((k, n))) as engine:
        engine.load("t", promos)
        results = []

        async def one() -> None:
            results.append((await engine.price("t", basket, ctx)).result)

        async with trio.open_nursery() as nursery:
            for _ in range(100):
                nursery.start_soon(one)
    assert len(results) == 100 and all(r == results[0] for r in results)
    shard_batches = [n for k, n in sizes if k == "shard"]
    assert sum(shard_batches) == 100 * shards and max(shard_batches) > 1  # every basket on every shard


class _GatedSet(ReferenceSet):
    """A set whose shard phase waits for a gate (a threading.Event): holds requests in flight.
    ``entered`` is set once a request is held there."""

    def __init__(self, *a, gate: threading.Event, **k) -> None:
        super().__init__(*a, **k)
        self.gate = gate
        self.entered = threading.Event()

    def shard_candidates(self, shard, items):
        self.entered.set()
        self.gate.wait(10)
        return super().shard_candidates(shard, items)


async def test_swap_does_not_change_requests_in_flight(rules, basket):
    promos, ctx = rules
    gate = threading.Event()
    # a generous pricing deadline: the request is held (below) for as long as the test takes
    async with open_engine(shards=2, warm_up=False, timeout_s=10) as engine:
        old = _GatedSet(promos, version=1, n_shards=2, gate=gate)
        engine.swap("t", old)
        out = {}

        async def in_flight() -> None:
            out["old"] = await engine.price("t", basket, ctx)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(in_flight)
            # until the request is held in the shard phase (a thread of the engine's)
            assert await trio.to_thread.run_sync(old.entered.wait, 10)
            engine.swap("t", build_promotion_set([], version=2, n_shards=2))
            gate.set()
        after = await engine.price("t", basket, ctx)
    assert out["old"].pset is old and out["old"].result.applied  # priced with the rules it started with
    assert after.pset.version == 2 and after.result.applied == ()
    # and read with that set's facts (dre.answer_facts): each set has its own table
    assert out["old"].facts.promotions is old.by_id and after.facts.promotions is after.pset.by_id


async def test_a_sets_facts_are_kept_across_requests(rules, basket):
    promos, ctx = rules
    async with open_engine(shards=1, warm_up=False) as engine:
        engine.load("t", promos)
        first = await engine.price("t", basket, ctx)
        made = {pid: first.facts[pid] for pid in first.pset.by_id}
        second = await engine.price("t", basket, ctx)
        engine.load("t", promos)
        third = await engine.price("t", basket, ctx)
    assert second.facts is first.facts and all(second.facts[pid] is f for pid, f in made.items())
    assert third.facts is not first.facts and len(third.facts) == 0 and third.facts.promotions is third.pset.by_id


async def test_swap_refuses_a_set_for_other_shards(rules):
    async with open_engine(shards=2, warm_up=False) as engine:
        with pytest.raises(ValueError):
            engine.swap("t", build_promotion_set(rules[0], 1, n_shards=3))


class _CrashOnce(ReferenceSet):
    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        self.crashed = False

    def shard_candidates(self, shard, items):
        if shard == self.n_shards - 1 and not self.crashed:
            self.crashed = True
            raise RuntimeError("kernel bug")
        return super().shard_candidates(shard, items)


@pytest.mark.parametrize("shards", [1, 2])
async def test_crash_gives_a_clear_error_and_the_shard_restarts(rules, basket, shards):
    promos, ctx = rules
    async with open_engine(shards=shards, warm_up=False) as engine:
        engine.swap("t", _CrashOnce(promos, n_shards=shards))
        with pytest.raises(DREError) as info:
            await engine.price("t", basket, ctx)
        assert info.value.status == 503 and info.value.code == ENGINE_UNAVAILABLE
        crashed = f"shard-{shards - 1}"
        assert engine.restarts.restarts == {crashed: 1}
        assert "kernel bug" in engine.restarts.last_error[crashed]
        priced = await engine.price("t", basket, ctx)  # the restarted shard answers again
    assert priced.result == ReferenceSet(promos).evaluate(basket, ctx)


class _Slow(ReferenceSet):
    def resolve(self, items, candidates):
        time.sleep(0.3)
        return super().resolve(items, candidates)


async def test_timeout_is_a_503_not_a_hang(rules, basket):
    promos, ctx = rules
    async with open_engine(shards=1, warm_up=False, timeout_s=0.05) as engine:
        engine.swap("t", _Slow(promos, n_shards=1))
        with pytest.raises(DREError) as info:
            await engine.price("t", basket, ctx)
    assert info.value.status == 503 and "longer than" in info.value.message


async def test_closed_engine_answers_503(rules, basket):
    async with open_engine(shards=1, warm_up=False) as engine:
        pass
    with pytest.raises(DREError) as info:
        await engine.price("t", basket, rules[1])
    assert info.value.status == 503
