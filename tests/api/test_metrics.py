"""GET /metrics: Prometheus text with request counts, latency, mailbox depths and batch sizes."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import AUTH, post


async def test_metrics_exposed(client, example_request):
    await post(client, "/pos/v2/evaluate", example_request)
    r = await client.get("/metrics", headers=AUTH)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families((await r.get_data()).decode())}
    reqs = [s for s in families["dre_http_requests"].samples
            if s.name == "dre_http_requests_total" and s.labels["route"] == "/pos/v2/evaluate"]
    assert reqs and reqs[0].labels["status"] == "200" and reqs[0].value == 1
    lat = [s for s in families["dre_http_request_duration_seconds"].samples
           if s.name.endswith("_count") and s.labels["route"] == "/pos/v2/evaluate"]
    assert lat[0].value == 1
    depths = {s.labels["actor"] for s in families["dre_actor_mailbox_depth"].samples}
    assert depths == {"shard-0", "shard-1", "resolver", "heavy"}
    batches = {s.labels["actor"] for s in families["dre_actor_batch_size"].samples if s.name.endswith("_count")}
    assert batches == {"shard", "resolver"}
    assert "dre_store_circuit_open" in families
