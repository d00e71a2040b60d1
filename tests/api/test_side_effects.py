"""The side-effects job of a confirm, through the app: loyalty points, audit record, post-purchase
coupons, the GET route (404, 1 s cache)."""
from __future__ import annotations

import orjson
import pytest

from dre.store import keys
from tests.api import promos
from tests.api.conftest import TENANT
from tests.api.flows import completed_side_effects, confirm, coupon_types, evaluate, item, load, side_effects


@pytest.fixture
async def setup(services):
    await load(services, promos.ALL)
    await coupon_types(services)


async def test_job_books_points_audits_and_issues_a_usable_coupon(client, services, setup, rdb):
    await evaluate(client, "T1", [item("1", "X", 2, 12.50)], customer="C1", card="L1")
    status, _, _ = await confirm(client, "T1", 1)
    assert status == 200
    se = await completed_side_effects(client, services, "T1", 1)
    assert se["status"] == "COMPLETED" and se["attempts"] == 1
    assert se["startedAt"] and se["completedAt"] and se["lastError"] is None
    res = se["results"]
    assert res["loyalty"] == {"memberId": "L1", "pointsEarned": 25, "totalPoints": 25}  # card beats customer id
    assert res["couponRedemptions"] == [] and res["warnings"] == []
    [granted] = res["postPurchaseCoupons"]
    assert granted["couponTypeId"] == "THX" and granted["promotionId"] == "THANKS"
    assert granted["validTo"] == "2030-03-17T17:46:40.000Z"
    coupon = rdb.hgetall(keys.coupon(TENANT, granted["code"]))
    assert (coupon["status"], coupon["customerId"]) == ("ACTIVE", "C1")
    audit = orjson.loads(rdb.get(keys.audit_record(TENANT, res["auditLogId"])))
    assert audit["transactionId"] == "T1" and audit["totals"] == {"gross": 2500, "discount": 0, "points": 25}
    version = services.engine.current(TENANT).version  # the promotion set it was priced with
    assert version == int(rdb.get(keys.promotions_version(TENANT)))
    assert {p["promotionId"]: p["version"] for p in audit["promotions"]} == {"LOY": version, "THANKS": version}
    assert [rdb.zrange(k, 0, -1) for k in keys.audit_logs(TENANT) if rdb.exists(k)] == [["T1/1"]]
    assert rdb.hget(keys.member(TENANT, "L1"), "points") == "25"


async def test_job_reports_redeemed_coupons_and_skips_loyalty_without_member(client, services, setup):
    body = await evaluate(client, "T1", [item("1", "X", 1, 10.00)], customer=None, coupons=("SUMMER",))
    assert body["couponResults"][0]["status"] == "APPLIED"
    assert (await confirm(client, "T1", 1))[0] == 200
    res = (await completed_side_effects(client, services, "T1", 1))["results"]
    assert res["couponRedemptions"] == [{"code": "SUMMER", "status": "REDEEMED"}]
    assert res["loyalty"] is None and res["postPurchaseCoupons"] == []


async def test_a_deleted_coupon_type_is_a_warning_not_a_failed_job(client, services, setup, rdb):
    await evaluate(client, "T1", [item("1", "X", 1, 30.00)])
    rdb.delete(keys.coupon_type(TENANT, "THX"))
    assert (await confirm(client, "T1", 1))[0] == 200
    se = await completed_side_effects(client, services, "T1", 1)
    assert se["status"] == "COMPLETED" and se["results"]["postPurchaseCoupons"] == []
    assert "THX" in se["results"]["warnings"][0]
    assert se["results"]["loyalty"]["pointsEarned"] == 30  # the other effects stand


async def test_unknown_job_is_404_and_answers_are_cached_a_second(client, services, setup, rdb):
    status, body = await side_effects(client, "NOPE", 1)
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
    await evaluate(client, "T1", [item("1", "X", 1, 10.00)])
    assert (await confirm(client, "T1", 1))[0] == 200
    first = await completed_side_effects(client, services, "T1", 1)
    rdb.hset(keys.job(TENANT, "T1/1"), "status", "FAILED")  # changed behind the cache's back
    assert (await side_effects(client, "T1", 1))[1] == first  # within the second: the cached answer
    services.side_effects_cache.ttl_s = 0.0
    assert (await side_effects(client, "T1", 1))[1]["status"] == "FAILED"
    status, _ = await side_effects(client, "T1", 2)
    assert status == 404
