"""Once the kernels are ready, a set that still arrives on the reference path (a reload that began
while they compiled) is rebuilt on them too, same promotions and version (actors.engine)."""
from __future__ import annotations

from pathlib import Path

import trio

from actors import kernel_warmup
from actors.engine import build_promotion_set, open_engine
from dre.evaluate import IndexedReferenceSet
from dre.promotion.rules_file import load_rules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def test_a_reference_set_swapped_in_after_the_kernels_are_ready_is_rebuilt_on_them(monkeypatch):
    async def compiled_already() -> None:
        pass

    monkeypatch.setattr(kernel_warmup, "compile_in_child", compiled_already)
    monkeypatch.setattr(kernel_warmup.status, "state", kernel_warmup.LAZY)
    promotions, _ = load_rules(EXAMPLES / "promotions.json")
    async with open_engine(shards=1, warm_up=True, kernels_in_background=True) as engine:
        engine.load("acme", promotions)
        assert engine.pricing_path("acme") == "REFERENCE"
        facts = engine._facts["acme"]
        made = facts[promotions[0].id]  # as a request makes it
        with trio.fail_after(60):
            while engine.pricing_path("acme") != "KERNELS":
                await trio.sleep(0.02)
        assert kernel_warmup.status.state == kernel_warmup.READY
        # the same promotions and version: their facts are kept, not made again by the next requests
        assert engine._facts["acme"] is facts and facts[promotions[0].id] is made
        assert facts.promotions is engine.current("acme").by_id  # the rest made from the new set's
        engine.swap("acme", IndexedReferenceSet(promotions, version=9))  # a late reload's set
        assert engine.pricing_path("acme") == "REFERENCE"
        assert engine._facts["acme"] is not facts  # a new version: facts of its own (versions differ)
        with trio.fail_after(60):
            while engine.pricing_path("acme") != "KERNELS":
                await trio.sleep(0.02)
        assert engine.current("acme").version == 9
        assert [p.id for p in engine.current("acme").ranked] == [p.id for p in sorted(promotions, key=lambda p: p.rank)]


async def test_held_upgrades_wait_until_the_worker_serves(monkeypatch):
    """``hold_upgrades`` (the service): the kernels are not loaded, nor a KernelSet built, before
    ``engine.serving()``, and a worker's first set is on the reference path even with the kernels
    ready (actors.engine.build_promotion_set ``upgrade_later``)."""
    loads = []

    async def compiled_already() -> None:
        pass

    monkeypatch.setattr(kernel_warmup, "compile_in_child", compiled_already)
    monkeypatch.setattr(kernel_warmup, "load_here", lambda: loads.append(1))
    monkeypatch.setattr(kernel_warmup.status, "state", kernel_warmup.LAZY)
    promotions, _ = load_rules(EXAMPLES / "promotions.json")
    async with open_engine(shards=1, warm_up=True, kernels_in_background=True, hold_upgrades=True) as engine:
        engine.swap("acme", build_promotion_set(promotions, 3, 1, upgrade_later=True))
        await trio.sleep(0.3)
        assert loads == [] and engine.pricing_path("acme") == "REFERENCE"
        engine.serving()
        with trio.fail_after(60):
            while engine.pricing_path("acme") != "KERNELS":
                await trio.sleep(0.02)
        assert loads == [1] and engine.current("acme").version == 3
        assert isinstance(build_promotion_set(promotions, 4, 1, upgrade_later=True), IndexedReferenceSet)
        assert not isinstance(build_promotion_set(promotions, 4, 1), IndexedReferenceSet)
