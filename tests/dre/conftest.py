"""Every engine example runs on the reference evaluator and on the numba kernels alike."""
from __future__ import annotations

import pytest

from dre.evaluate import evaluate
from dre.pricing import Context, Result


def _kernel_pricer():
    kernels = pytest.importorskip("kernels")
    if not hasattr(kernels, "KernelSet"):
        pytest.skip("numba KernelSet not built yet")
    return lambda promos, b, ctx: kernels.KernelSet(promos).evaluate(b, ctx)


@pytest.fixture(params=["reference", "kernel"])
def price(request):
    """``price(promotions, basket, ctx=None) -> Result`` for one engine implementation."""
    run = (lambda promos, b, ctx: evaluate(promos, b, ctx)) if request.param == "reference" else _kernel_pricer()

    def call(promos, b, ctx: Context | None = None) -> Result:
        return run(list(promos), b, ctx or Context())

    return call


def amounts(result: Result) -> list[dict[str, int]]:
    """Per line: {promotion id: cents}."""
    return [{d.promotion_id: d.amount for d in line} for line in result.lines]
