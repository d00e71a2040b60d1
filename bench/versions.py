"""Two checkouts, one engine bench, alternating rounds: is the hot path slower than before?

``.venv/bin/python -m bench.versions BEFORE_DIR [AFTER_DIR] --rounds 3 [-- bench.engine args]``

Runs ``python -m bench.engine --quick --no-start`` (plus the given args) in BEFORE_DIR and in
AFTER_DIR (default: this checkout), one after the other, ``--rounds`` times, so both see the same
drifting machine. Prints, per mix and promotion-set size, each round's single-basket p50 and
batch throughput of both, and the after/before ratios (median over rounds). Make BEFORE_DIR with
``git worktree add DIR <commit>``; each checkout compiles its own kernels once (not timed).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROW = re.compile(r"^\s+(\d+)\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+[\d.]+\s+(\d+)\s")


def run(checkout: Path, extra: list[str]) -> dict[tuple[str, int], tuple[float, float]]:
    """{(mix, size): (p50 us, batch per s)} of one bench.engine run in ``checkout``."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, "-m", "bench.engine", "--quick", "--no-start", *extra], cwd=checkout,
                         env=env, capture_output=True, text=True, check=True).stdout
    found, mix = {}, "?"
    for line in out.splitlines():
        if line.startswith("mix "):
            mix = line.split()[1].rstrip(":")
        elif m := ROW.match(line):
            found[(mix, int(m.group(1)))] = (float(m.group(2)), float(m.group(3)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path, nargs="?", default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--rounds", type=int, default=3)
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    p50s: dict = defaultdict(list)
    rates: dict = defaultdict(list)
    for r in range(1, args.rounds + 1):
        before, after = run(args.before, extra), run(args.after, extra)
        for key in sorted(before.keys() & after.keys()):
            (bp, br), (ap, ar) = before[key], after[key]
            p50s[key].append(ap / bp)
            rates[key].append(ar / br)
            print(f"round {r} {key[0]:>9} {key[1]:>6}: p50 {bp:7.1f} -> {ap:7.1f} us   batch {br:8.0f} -> {ar:8.0f}/s",
                  flush=True)
    print("after / before, median over rounds (p50: lower is faster; batch: higher is faster)")
    for key in sorted(p50s):
        print(f"{key[0]:>9} {key[1]:>6}: p50 x{statistics.median(p50s[key]):.3f}   "
              f"batch x{statistics.median(rates[key]):.3f}")


if __name__ == "__main__":
    main()
