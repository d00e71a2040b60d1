"""bench.store, the store actor against Redis's EVALSHA ceiling: it runs, prints its figures and
no error, and its ceiling stops at the first error reply instead of counting it as a call."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from bench import store as bench_store

ROOT = Path(__file__).resolve().parents[2]
OPS_ROW = r"^  {name}\s+[\d,]+\s+[\d,]+-[\d,]+\s+[\d.]+%(\s+[\d.]+){{4}}\s+\d+$"


def test_a_short_run_prints_every_figure_and_no_error():
    # Both layouts (one node, then a 3-master cluster), the ceiling and the scale-out processes,
    # small counts: a few seconds.
    run = subprocess.run(
        [sys.executable, "-m", "bench.store", "--n", "300", "--tasks", "50", "--repeat", "1",
         "--procs", "2", "--cluster-masters", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    printed = run.stdout + run.stderr
    assert run.returncode == 0, printed
    for word in ("Traceback", "Error", "error", "Exception"):
        assert word not in printed, printed
    assert len(re.findall(r"^== ", run.stdout, re.MULTILINE)) == 2, printed  # one node, then the cluster
    for name in bench_store.OPS:
        assert len(re.findall(OPS_ROW.format(name=name), run.stdout, re.MULTILINE)) == 2, printed
        assert len(re.findall(rf"^    {name}\s+[\d,]+\s+[\d.]+%$", run.stdout, re.MULTILINE)) == 2, printed  # scale-out
    ceilings = [float(c.replace(",", "")) for c in re.findall(r"^  EVALSHA ceiling\s+([\d,]+)\s", run.stdout, re.MULTILINE)]
    assert len(ceilings) == 2 and all(c > 0 for c in ceilings), printed
    # one round: five slices of the ceiling (before the first operation, after each), each a rate
    slices = re.findall(r"^  ceiling slices \(ops/s; before the first operation, then after each\): (.*)$",
                        run.stdout, re.MULTILINE)
    assert [len(re.findall(r"[\d,]+", x)) for x in slices] == [5, 5], printed
    # the private Redis was prefilled so far that its key table did not grow while measured
    assert len(re.findall(r"^  keyspace: [\d,]+ keys prefilled per master .* the table did not grow while measured$",
                          run.stdout, re.MULTILINE)) == 2, printed
    per_master = re.search(r"^  ceiling per master, all loaded at once: (.*)$", run.stdout, re.MULTILINE)
    assert per_master and len(re.findall(r"\d+: [\d,]+/s", per_master.group(1))) == 3, printed
    spread = re.search(r"^  EVALSHA calls of the operations per master: (.*)$", run.stdout, re.MULTILINE)
    assert spread and len(re.findall(r"\d+: [\d,]+ \(\d+%\)", spread.group(1))) == 3, printed


def test_the_ceiling_counts_only_calls_the_script_answered(redis_url, monkeypatch):
    ok = bench_store.ceiling(redis_url, 400, "t")
    assert ok.ops_s > 0 and ok.script_us > 0
    # 400 calls on 4 connections, each issued counter 1 of its own fresh transaction
    client = redis.Redis.from_url(redis_url)
    assert len(client.keys("dre:{ceil}:t:*:c")) == 400

    # a script that fails (as next_counter.lua called with too few keys did) stops the bench
    monkeypatch.setattr(bench_store, "lua_source", lambda name: "return redis.call('INCR')")
    with pytest.raises(RuntimeError, match="ceiling connections failed"):
        bench_store.ceiling(redis_url, 400, "u")


async def test_by_script_splits_each_operation_by_the_scripts_it_runs(redis_url):
    split = await bench_store.actor_run(redis_url, 40, 8, 2, "x", by_script=True)
    assert [(r.script, r.calls_per_op) for r in split["next_counter"]] == [("next_counter", 1.0)]
    confirm = {r.script: r for r in split["confirm"]}
    assert set(confirm) == {"txn_seal", "confirm", "txn_settle"}  # three steps, the commits batched
    assert confirm["txn_seal"].calls_per_op == confirm["txn_settle"].calls_per_op == 1.0
    assert 0 < confirm["confirm"].calls_per_op <= 1.0 and all(r.us_per_call > 0 for r in split["confirm"])
    # the settings are back: nothing is logged any more
    client = redis.Redis.from_url(redis_url)
    assert int(client.config_get("slowlog-log-slower-than")["slowlog-log-slower-than"]) > 0


def test_max_batch_bounds_the_requests_of_a_pipeline():
    run = subprocess.run(
        [sys.executable, "-m", "bench.store", "--n", "400", "--tasks", "100", "--repeat", "1", "--procs", "0",
         "--cluster-masters", "0", "--max-batch", "16"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    printed = run.stdout + run.stderr
    assert run.returncode == 0, printed
    for name in bench_store.OPS:
        row = re.search(OPS_ROW.format(name=name), run.stdout, re.MULTILINE)
        assert row, printed
        assert 1 <= int(row.group(0).split()[-1]) <= 16, printed  # req/pipeline


def test_store_lua_prints_each_scripts_time_alone():
    run = subprocess.run(
        [sys.executable, "-m", "bench.store_lua", "--n", "200", "--rounds", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    printed = run.stdout + run.stderr
    assert run.returncode == 0, printed
    time_rows, cpu_rows = run.stdout.split("Redis's CPU µs per call")  # Redis's time per call, then its CPU
    for name in ("coupon_reserve", "coupon_redeem", "txn_seal", "txn_settle", "coupon_reserve merged"):
        for rows in (time_rows, cpu_rows):
            row = re.search(rf"^  {name}\s+median\s+([\d.]+)\s+rounds: ([\d.]+) ([\d.]+)$", rows, re.MULTILINE)
            assert row and all(float(x) > 0 for x in row.groups()), printed


def test_store_lua_steps_split_each_script_by_its_steps():
    """--steps runs each script cut short before each of its steps: one row per step, its
    cumulative time and the step's own, and every step's line is still in the script."""
    from bench.store_lua import STEPS

    run = subprocess.run(
        [sys.executable, "-m", "bench.store_lua", "--n", "100", "--rounds", "1", "--steps"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    printed = run.stdout + run.stderr
    assert run.returncode == 0, printed
    assert "not in the script" not in printed, printed  # a step's line changed: update STEPS
    for name, (_, steps) in STEPS.items():
        assert f"  {name}, cut short before each step" in run.stdout, printed
        for label, _ in steps:
            row = re.search(rf"^\s+([\d.]+) µs\s+[+-][\d.]+  {re.escape(label)}$", run.stdout, re.MULTILINE)
            assert row and float(row.group(1)) > 0, printed
