"""GET /metrics by role: a POS key sees its own tenant's request series and the process-wide
ones (no tenant label), an admin key every tenant's."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import ADMIN_KEY, KEY, OTHER_ADMIN_KEY, OTHER_KEY, OTHER_TENANT, TENANT, post


def series(text: bytes) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(text.decode())}


async def metrics(client, key: str) -> tuple[bytes, dict[str, list]]:
    r = await client.get("/metrics", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    text = await r.get_data()
    return text, series(text)


def tenants_of(families: dict[str, list]) -> set[str]:
    return {s.labels["tenant"] for samples in families.values() for s in samples if "tenant" in s.labels}


async def test_metrics_of_a_pos_key_show_only_its_tenant(client, example_request):
    other = {"Authorization": f"Bearer {OTHER_KEY}", "Content-Type": "application/json"}
    assert (await post(client, "/pos/v2/evaluate", example_request))[0] == 200
    assert (await post(client, "/pos/v2/evaluate", example_request, other))[0] == 200
    assert (await client.get("/pos/heartbeat")).status_code == 401  # no tenant

    text, mine = await metrics(client, KEY)
    assert tenants_of(mine) == {TENANT}
    assert OTHER_TENANT.encode() not in text
    evaluates = [s for s in mine["dre_http_requests"]
                 if s.name == "dre_http_requests_total" and s.labels["route"] == "/pos/v2/evaluate"]
    assert [(s.labels["tenant"], s.value) for s in evaluates] == [(TENANT, 1)]
    # process-wide series (no tenant label) stay, with their HELP and TYPE
    assert mine["dre_actor_mailbox_depth"] and "dre_store_circuit_open" in mine
    assert b"# HELP dre_http_requests_total" in text and b"# TYPE dre_http_request_duration_seconds" in text

    _, theirs = await metrics(client, OTHER_KEY)
    assert tenants_of(theirs) == {OTHER_TENANT}


@pytest.mark.parametrize("admin_key", [ADMIN_KEY, OTHER_ADMIN_KEY])
async def test_metrics_of_an_admin_key_show_every_tenant(client, example_request, admin_key):
    other = {"Authorization": f"Bearer {OTHER_KEY}", "Content-Type": "application/json"}
    await post(client, "/pos/v2/evaluate", example_request)
    await post(client, "/pos/v2/evaluate", example_request, other)
    await client.get("/pos/heartbeat")
    _, every = await metrics(client, admin_key)
    assert tenants_of(every) == {TENANT, OTHER_TENANT, ""}  # "": requests without a valid key
