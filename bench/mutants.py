"""Planted mutants in the money-critical code: does the suite notice each one?

``.venv/bin/python -m bench.mutants`` plants each mutant below, one at a time, in a scratch copy of
the tree, runs the tests that guard that spot, and prints which mutants were caught (a test
failed) and which survived. Not part of CI: a full run takes several minutes.

Each mutant is one textual change (an operator, a bound, a dropped line) in a Lua script, a
kernel, the reference evaluator's arithmetic, the idempotency layer or the confirm path, the
kinds of slip that lose or double money. A surviving mutant is a guarantee no test holds: add the
test, or write down in ``REASONS`` why the change is harmless.

Kernels run with ``NUMBA_DISABLE_JIT=1`` here: the same code as plain Python, so a mutant needs no
recompilation (numba's cache would also keep a stale compiled caller of a mutated helper that
lives in another file).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("actors", "api", "bench", "cli", "dre", "kernels", "tests", "examples", "pyproject.toml")
TIMEOUT_S = 600  # one mutant's test run; past it the mutant counts as caught (a hang is noticed)


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple[str, ...]  # the tests that guard this spot


STORE_TESTS = ("tests/store",)
CONFIRM_TESTS = ("tests/store", "tests/api/test_confirm.py")
PRICING_TESTS = ("tests/dre", "tests/kernels")

MUTANTS = [
    # -- Lua: budgets, coupons, counters, points, idempotency ---------------------------------
    Mutant("confirm: budget amount check 'would exceed' -> 'already exhausted'", "dre/store/lua/confirm.lua",
           "p.ac + p.amount > p.alim", "p.ac >= p.alim", CONFIRM_TESTS),
    Mutant("confirm: redemption limit off by one", "dre/store/lua/confirm.lua",
           "p.rc + 1 > p.rlim", "p.rc > p.rlim", CONFIRM_TESTS),
    Mutant("confirm: per-customer limit off by one", "dre/store/lua/confirm.lua",
           ", customer), 0) + 1 > p.plim", ", customer), 0) > p.plim", CONFIRM_TESTS),
    Mutant("confirm: a linked return may give back more than its sale got", "dre/store/lua/confirm.lua",
           "num(redis.call('HGET', key, f), 0) + d > lim", "num(redis.call('HGET', key, f), 0) > lim",
           ("tests/api/test_linked_returns.py",)),
    Mutant("reserve: lapsed holds no longer released", "dre/store/lua/coupon_reserve.lua",
           "c = release_expired(c, k, KEYS[8], code, now)", "-- mutant: no release",
           STORE_TESTS),
    Mutant("GENERIC limit counts one use too few", "dre/store/lua/_common.lua",
           "num(c.uses, 0) + redis.call('ZCARD', k.holds) >= max",
           "num(c.uses, 0) + redis.call('ZCARD', k.holds) > max",
           STORE_TESTS),
    Mutant("coupons: an INDIVIDUAL code held by one transaction is reservable by another", "dre/store/lua/_common.lua",
           "    return 'RESERVED_ELSEWHERE'\n", "    return nil\n", STORE_TESTS),
    Mutant("coupons: a redeemed code is usable again", "dre/store/lua/_common.lua",
           "if c.status == 'REDEEMED' then return 'ALREADY_REDEEMED' end", "-- mutant: no redeemed check",
           STORE_TESTS),
    Mutant("coupons: a use of an INDIVIDUAL code leaves it usable", "dre/store/lua/_common.lua",
           "redis.call('HSET', k.coupon, 'status', 'REDEEMED', 'redeemedBy', txn, 'redeemedAt', now)",
           "redis.call('HSET', k.coupon, 'redeemedBy', txn, 'redeemedAt', now)", CONFIRM_TESTS),
    Mutant("coupons: a new code overwrites one that exists", "dre/store/lua/_common.lua",
           "  if #collided > 1 then return collided end\n", "", STORE_TESTS),
    Mutant("coupons: one caller may hold every use of a shared code", "dre/store/lua/coupon_reserve.lua",
           "if num(redis.call('HGET', k.holders, 'n:' .. caller), 0) >= share then", "if false then",
           ("tests/store", "tests/api/test_coupon_concurrency.py")),
    Mutant("merged reserves: a call sees the keys of the calls after it", "dre/store/scripts.py",
           "for j = #KEYS, %(keys)d + 1, -1 do KEYS[j] = nil end  -- each call sees exactly its own count\n", "",
           STORE_TESTS),
    Mutant("merged reserves: a call runs with the code key of the call before", "dre/store/scripts.py",
           "  for j = 1, #__ok do KEYS[__ok[j]]", "  for j = 2, #__ok do KEYS[__ok[j]]", STORE_TESTS),
    Mutant("coupons: a code judged by the type read for another code of the same call", "dre/store/lua/_common.lua",
           "local t = TYPES_READ[k.ctype]\n", "local t = TYPES_READ[k.ctype] or TYPES_READ[next(TYPES_READ)]\n",
           STORE_TESTS),
    Mutant("merged reserves: a reply's items read as the next call's", "dre/store/scripts.py",
           "  __n = __n + 1 + #reply\n", "  __n = __n + #reply\n", STORE_TESTS),
    Mutant("merged reserves: a merged call of one reserve logs no code", "dre/store/lua/_common.lua",
           "  if #LOGGED > 0 then append_log(LOGGED, 1) end", "  if #LOGGED > 1 then append_log(LOGGED, 1) end",
           STORE_TESTS),
    Mutant("merged reserves: one call's Lua error fails every call merged with it", "dre/store/scripts.py",
           "  local ok, reply = pcall(__run)\n", "  local ok, reply = true, __run()\n", STORE_TESTS),
    Mutant("coupons: a type's per-customer limit off by one", "dre/store/lua/_common.lua",
           "num(redis.call('HGET', k.type_uses, customer), 0) >= per", "num(redis.call('HGET', k.type_uses, customer), 0) > per",
           CONFIRM_TESTS),
    Mutant("next_counter: older iterations kept", "dre/store/lua/next_counter.lua",
           "if counter > 1 then redis.call('HDEL', KEYS[2], counter - 1) end", "-- mutant: keep older", CONFIRM_TESTS),
    Mutant("points: a replay books again", "dre/store/lua/points_book.lua",
           "if first then", "if false then", STORE_TESTS),
    Mutant("idempotency: another body under the same key replays", "dre/store/lua/idempotency_claim.lua",
           "if redis.call('HGET', KEYS[1], 'fingerprint') ~= ARGV[2] then return {'MISMATCH'} end",
           "-- mutant: no fingerprint check", ("tests/store", "tests/api/test_idempotency.py")),
    Mutant("idempotency: a request in flight runs twice", "dre/store/lua/idempotency_claim.lua",
           "if state == 'PENDING' then return {'IN_PROGRESS'} end", "-- mutant: no in-flight check",
           ("tests/store", "tests/api/test_idempotency.py")),
    # -- Python: idempotency and confirm ---------------------------------------------------
    Mutant("5xx answers kept under an Idempotency-Key", "api/http/idempotency.py",
           "if response.status_code >= 500:", "if response.status_code >= 600:", ("tests/api/test_idempotency.py",)),
    Mutant("confirm: the first applied promotion's budget is not consumed", "api/confirm/commit.py",
           "return [u for a in it.applied\n",
           "return [u for a in it.applied[1:]\n",
           ("tests/api/test_confirm.py",)),
    Mutant("confirm: a promotion's budget consumed without its limits", "api/evaluate/iteration.py",
           "return BudgetUse(self.promotion_id, max(0, self.amount), limit(self.budget.get(\"redemptions\")),",
           "return BudgetUse(self.promotion_id, max(0, self.amount), NO_LIMIT,",
           ("tests/api/test_confirm.py", "tests/store/test_store_confirm.py")),
    # -- kernels and the reference's arithmetic ------------------------------------------
    Mutant("kernels: receipt spread by gross, not by what is left", "kernels/actions.py",
           "        base[i] = gross[i] - basis[i]\n", "        base[i] = gross[i]\n", PRICING_TESTS),
    Mutant("kernels: a line may go below zero", "kernels/stacking.py",
           "out[i] += max(0, min(raw[i], gross[i] - done[i] - out[i]))", "out[i] += max(0, raw[i])",
           PRICING_TESTS),
    Mutant("money: HALF_UP rounds half down", "dre/money.py",
           "    elif 2 * r >= d:\n", "    elif 2 * r > d:\n", PRICING_TESTS),
    Mutant("kernels: FIX price may go below zero", "kernels/arith.py",
           "return max(0, num - value * den), den  # FIX", "return num - value * den, den  # FIX", PRICING_TESTS),
    # -- the answer's lines written by a kernel (kernels/answer_lines.py) --------------------
    Mutant("answer lines: a line's net is its gross", "kernels/answer_lines.py",
           "pos = _decimal(out, pos, gross[i] - line_disc, 2)", "pos = _decimal(out, pos, gross[i], 2)",
           ("tests/kernels/test_answer_lines.py",)),
    Mutant("answer lines: a return line kept as a sale row", "kernels/answer_lines.py",
           "        if milli[i] <= 0:\n            continue\n", "", ("tests/kernels/test_answer_lines.py",)),
    Mutant("answer lines: 1.5 written as 1.50", "kernels/answer_lines.py",
           "    while f % 10 == 0:\n", "    while f % 100 == 0 and f:\n", ("tests/kernels/test_answer_lines.py",)),
    Mutant("answer lines: a grown fragment buffer loses the fragments made before", "kernels/answer_lines.py",
           "                grown[:start] = self.buf[:start]\n", "", ("tests/kernels/test_answer_lines.py",)),
    Mutant("line discounts: a row of a lower-ranked promotion named as the one before", "kernels/line_discounts.py",
           "                if p != last_p:  # a part's rows come promotion by promotion\n",
           "                if p > last_p:  # a part's rows come promotion by promotion\n",
           ("tests/kernels/test_kernel_equivalence.py", "tests/kernels/test_line_discounts.py")),
]
REASONS: dict[str, str] = {  # mutant name -> why surviving it is acceptable
    # Survived on 2026-12-04 (the first run since the morning's kernel rounds): every path that
    # applies a unit discount now clamps each line's amount at 0 where it is applied
    # (kernels/stacking.py, guarded by "a line may go below zero"), so a negative FIX discount no
    # longer shows; tests/dre/test_actions.py::test_fixed_price_never_raises_a_price pins the result.
    "kernels: FIX price may go below zero": "equivalent while stacking.py clamps every line at 0",
}


def plant(scratch: Path, m: Mutant) -> None:
    target = scratch / m.path
    text = (ROOT / m.path).read_text()
    if text.count(m.old) != 1:
        raise SystemExit(f"mutant {m.name!r}: expected one {m.old!r} in {m.path}, found {text.count(m.old)}")
    target.write_text(text.replace(m.old, m.new))


def restore(scratch: Path, m: Mutant) -> None:
    shutil.copy2(ROOT / m.path, scratch / m.path)


def run_tests(scratch: Path, tests: tuple[str, ...]) -> tuple[bool, float]:
    """(caught, seconds): caught when the tests fail (or hang past TIMEOUT_S)."""
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(scratch)}
    env.pop("DRE_REDIS_URL", None)
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               "-p", "no:randomly", *tests], cwd=scratch, env=env, capture_output=True,
                              timeout=TIMEOUT_S)
        caught = done.returncode != 0
    except subprocess.TimeoutExpired:
        caught = True
    return caught, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run the mutants whose name contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or args.only.lower() in m.name.lower()]
    if args.list:
        for m in chosen:
            print(f"{m.path}: {m.name}")
        return 0
    with tempfile.TemporaryDirectory(prefix="dre-mutants-") as tmp:
        scratch = Path(tmp)
        for name in COPIED:
            src = ROOT / name
            (shutil.copytree(src, scratch / name, ignore=shutil.ignore_patterns("__pycache__"))
             if src.is_dir() else shutil.copy2(src, scratch / name))
        baseline, secs = run_tests(scratch, ("tests/store/test_keys.py",))
        if baseline:
            raise SystemExit("the unmutated copy fails its tests: nothing to learn from mutants")
        survived = []
        for m in chosen:
            plant(scratch, m)
            try:
                caught, secs = run_tests(scratch, m.tests)
            finally:
                restore(scratch, m)
            print(f"{'caught  ' if caught else 'SURVIVED'}  {secs:6.1f} s  {m.path}: {m.name}", flush=True)
            if not caught:
                survived.append(m)
    print(f"\n{len(chosen) - len(survived)} of {len(chosen)} mutants caught, {len(survived)} survived")
    for m in survived:
        print(f"  survived: {m.name} ({m.path})" + (f" - accepted: {REASONS[m.name]}" if m.name in REASONS else ""))
    return 1 if any(m.name not in REASONS for m in survived) else 0


if __name__ == "__main__":
    raise SystemExit(main())
