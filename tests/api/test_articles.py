"""Article imports through HTTP: upsert semantics, per-article failures, the batch job to
COMPLETED, the job status route, body limits, and evaluate filling groups from the master."""
from __future__ import annotations

import orjson
import trio

from tests.api.conftest import ADMIN_AUTH, JSON_ADMIN_AUTH, admin_post, post


def article(n: int, **over) -> dict:
    return {"articleNumber": f"A{n:07d}", "name": f"Article {n}", "articleGroupId": f"G{n % 50}", **over}


async def job(client, job_id: str) -> dict:
    r = await client.get(f"/admin/ArticleImportJobs({job_id})", headers=ADMIN_AUTH)
    assert r.status_code == 200
    return orjson.loads(await r.get_data())


async def wait_done(client, job_id: str, timeout_s: float = 60.0) -> dict:
    with trio.fail_after(timeout_s):
        while True:
            status = await job(client, job_id)
            if status["status"] in ("COMPLETED", "FAILED"):
                return status
            await trio.sleep(0.05)


async def test_sync_import_upserts_and_reports_each_article(client, rdb):
    status, body, _ = await admin_post(client, "/pos/articles/import", {"articles": [article(1), article(2)]})
    assert status == 200
    assert [(r["articleNumber"], r["status"]) for r in body["results"]] == [("A0000001", "CREATED"),
                                                                          ("A0000002", "CREATED")]
    batch = [article(1, name="renamed", price=4.99, ean="4001234567890", attributes={"bio": True}),
             {"articleNumber": "BAD", "name": "", "articleGroupId": "G1", "price": 4.999},
             "not an object",
             article(3)]
    status, body, _ = await admin_post(client, "/pos/articles/import", {"articles": batch})
    assert status == 200
    assert (body["total"], body["created"], body["updated"], body["failed"]) == (4, 1, 1, 2)
    outcomes = body["results"]
    assert [r["status"] for r in outcomes] == ["UPDATED", "FAILED", "FAILED", "CREATED"]
    assert {e["path"] for e in outcomes[1]["errors"]} == {"articles[1].name", "articles[1].price"}
    assert outcomes[1]["articleNumber"] == "BAD"
    assert outcomes[2]["errors"] == [{"path": "articles[2]", "issue": "must be an object"}]
    stored = orjson.loads(rdb.hget("dre:{acme}:articles", "A0000001"))
    assert stored["name"] == "renamed" and stored["attributes"] == {"bio": True}
    assert rdb.hget("dre:{acme}:articles", "BAD") is None


async def test_sync_import_body_shape_errors(client):
    status, body, _ = await admin_post(client, "/pos/articles/import", {"items": []})
    assert status == 400 and body["error"]["code"] == "INVALID_INPUT"


async def test_evaluate_fills_a_missing_group_from_the_master(client, example_request):
    await admin_post(client, "/pos/articles/import", {"articles": [
        {"articleNumber": "A100", "name": "Coffee", "articleGroupId": "COFFEE"}]})
    for item in example_request["request"]["items"]:
        item.pop("articleGroupId")
    status, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert status == 200
    coffee = body["lineItems"][0]
    # P1 (10 % off the COFFEE group, from 2) fires only if the line got its group from the master
    assert [d["promotionId"] for d in coffee["discounts"]] == ["P1"]


async def test_batch_import_of_20k_runs_to_completed(client, rdb):
    articles = [article(n) for n in range(20_000)]
    articles[7] = {"articleNumber": "X7", "name": "no group"}
    articles[12_345] = article(12_345, price=-1)
    status, body, r = await admin_post(client, "/pos/articles/import-batch", {"articles": articles})
    assert status == 202 and body["status"] == "QUEUED" and body["total"] == 20_000
    assert r.headers["Location"] == f"/admin/ArticleImportJobs({body['jobId']})"
    done = await wait_done(client, body["jobId"])
    assert (done["status"], done["total"], done["processed"], done["failed"]) == ("COMPLETED", 20_000, 20_000, 2)
    assert done["created"] == 19_998 and done["completedAt"]
    assert [(e["index"], e["errors"][0]["path"]) for e in done["errors"]] == [
        (7, "articles[7].articleGroupId"), (12_345, "articles[12345].price")]
    assert rdb.hlen("dre:{acme}:articles") == 19_998
    assert not rdb.keys("dre:{acme:import:*}:chunk:*")  # processed input is dropped
    # OData string-key form of the same job
    assert (await job(client, f"'{body['jobId']}'"))["status"] == "COMPLETED"


async def test_batch_accepts_bodies_above_the_1_mib_limit_that_sync_refuses(client):
    big = {"articles": [article(n, name="x" * 200) for n in range(6_000)]}  # ~1.5 MB
    data = orjson.dumps(big)
    assert len(data) > 1 << 20
    r = await client.post("/pos/articles/import", data=data, headers=JSON_ADMIN_AUTH)
    assert r.status_code == 413
    status, body, _ = await admin_post(client, "/pos/articles/import-batch", big)
    assert status == 202
    assert (await wait_done(client, body["jobId"]))["processed"] == 6_000


async def test_batch_refuses_a_body_that_is_not_an_article_array(client, rdb):
    status, body, _ = await admin_post(client, "/pos/articles/import-batch", {"articles": {"a": 1}})
    assert status == 400 and body["error"]["details"][0]["path"] == "articles"
    r = await client.post("/pos/articles/import-batch", data=b"{not json", headers=JSON_ADMIN_AUTH)
    assert r.status_code == 400
    assert not rdb.keys("dre:{acme:import:*") and not rdb.keys("dre:{acme}:imports*")


async def test_unknown_job_is_404(client):
    r = await client.get("/admin/ArticleImportJobs(0123abcd)", headers=ADMIN_AUTH)
    assert r.status_code == 404
    r = await client.get("/admin/ArticleImportJobs(../../x)", headers=ADMIN_AUTH)
    assert r.status_code == 404
