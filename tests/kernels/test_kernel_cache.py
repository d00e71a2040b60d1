"""The kernels load back from numba's on-disk cache in a fresh process (what a restarted worker
does): a kernel can compile and run in the process that compiled it yet crash when loaded from
the cache (a recursive kernel called with a literal bool argument did: SIGSEGV in the loader)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from kernels import warmup
warmup()  # every kernel, the batch one included, on a set using every path
print("loaded")
"""


def test_every_kernel_loads_back_from_the_cache_in_a_fresh_process():
    # The session fixture (tests/conftest.compiled_kernels) compiled every kernel into the cache.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("loaded")


def test_a_cache_stamped_from_other_sources_is_forgotten(tmp_path, monkeypatch):
    # A cached caller keeps the callees it was compiled with; after any kernel source changes, the
    # whole cache must go before the warm-up fills it again.
    import importlib

    w = importlib.import_module("kernels.warmup")  # the package's `warmup` name is the function

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    kept = [tmp_path / "basket.price_basket-1.py311.nbi", tmp_path / "basket.price_basket-1.py311.1.nbc"]
    for f in kept:
        f.write_bytes(b"x")
    assert w.forget_stale_cache() == 0  # no stamp: nothing known, nothing deleted
    (tmp_path / w.STAMP_NAME).write_text(w.fingerprint())
    assert w.forget_stale_cache() == 0 and all(f.exists() for f in kept)
    (tmp_path / w.STAMP_NAME).write_text(w.fingerprint().replace("arith.py:", "arith.py:1"))
    assert w.forget_stale_cache() == 2 and not any(f.exists() for f in kept)
