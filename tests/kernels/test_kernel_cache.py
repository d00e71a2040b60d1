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
