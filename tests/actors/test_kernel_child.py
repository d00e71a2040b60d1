"""The kernels' compile child decides itself whether the cache needs filling: the worker does not
import the kernels package (numba: ~1 s holding the GIL) on its way to serving."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys, trio
from actors import kernel_warmup
kernel_warmup.CHILD = [sys.executable, "-c", "pass"]  # the real child compiles: minutes on a cold cache
trio.run(kernel_warmup.compile_in_child)
print("numba" in sys.modules, "kernels" in sys.modules)
"""


def test_starting_the_compile_child_imports_no_kernels_here():
    out = subprocess.run([sys.executable, "-c", SCRIPT], env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True).stdout.split()
    assert out == ["False", "False"]


def test_the_child_command_checks_the_cache_stamp_before_compiling():
    from actors.kernel_warmup import CHILD

    assert CHILD[:2] == [sys.executable, "-c"] and "cache_filled() or warmup_once()" in CHILD[2]
