"""kill -9 of `dre serve` on the cluster in the middle of a confirm storm (workers die between a
confirm's seal, commit and settle), then a restart: no budget leaks, none is overspent, and every
transaction counts exactly once after the lanes retry."""
from __future__ import annotations

import contextlib

import httpx
import psutil

from dre.store import keys
from tests.api.conftest import TENANT
from tests.api.flows import item
from tests.api.test_live_confirm import HEADERS, confirm, evaluate, gather, kill_9, serve
from tests.api.test_live_kill import PROMO, storm

N_TXN = 300


async def test_kill_9_mid_confirm_storm_on_the_cluster_leaks_nothing_and_overspends_nothing(
        tmp_path, cluster_url, redis_cluster):
    rc = redis_cluster.client()
    txns = [f"K{i}" for i in range(N_TXN)]
    limits = httpx.Limits(max_connections=N_TXN, max_keepalive_connections=N_TXN)
    first = serve(tmp_path, cluster_url, [PROMO], DRE_JOB_RUNNERS="0")
    try:
        async with httpx.AsyncClient(base_url=first.url, headers=HEADERS, timeout=30, limits=limits) as http:
            await gather(N_TXN, lambda i: evaluate(http, txns[i], [item("1", "A", 1, 5.00)], customer=None), 50)
            outcome = await storm(http, txns, first)
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):
            kill_9(first)
        first.proc.wait()
    acknowledged = [t for t, o in outcome.items() if o == 200]
    unsure = [t for t in txns if outcome.get(t) != 200]
    assert acknowledged and unsure
    committed = {t for t in txns if rc.exists(keys.txn_confirmed(TENANT, t))}
    assert set(acknowledged) <= committed
    budget = rc.hgetall(keys.budget(TENANT, "B1"))
    assert int(budget["redemptions_consumed"]) == len(committed)  # no hold, no leak: only commits count

    second = serve(tmp_path, cluster_url, [PROMO])
    try:
        async with httpx.AsyncClient(base_url=second.url, headers=HEADERS, timeout=30, limits=limits) as http:
            retried = await gather(len(unsure), lambda i: confirm(http, unsure[i]), 50)
        for t, r in zip(unsure, retried):
            assert r.status_code == 200, (t, outcome.get(t), r.text)
    finally:
        assert second.stop() == 0
    budget = rc.hgetall(keys.budget(TENANT, "B1"))
    assert int(budget["redemptions_consumed"]) == N_TXN  # every transaction exactly once
    assert int(budget["amount_consumed"]) == N_TXN * 100
