"""POST /pos/coupons/*: bodies, answers and errors in the contract's shape."""
from __future__ import annotations

import pytest

from dre.store import keys
from tests.api import promos
from tests.api.flows import coupon_types
from tests.api.conftest import TENANT, admin_post, post


@pytest.fixture
async def codes(services):
    return await coupon_types(services)


async def test_validate_is_read_only_and_answers_unknown_codes(client, codes, rdb):
    before = rdb.hgetall(keys.coupon(TENANT, codes[0]))
    status, body, _ = await post(client, "/pos/coupons/validate", {"code": codes[0], "customerId": "C1"})
    assert status == 200
    assert body == {"code": codes[0], "valid": True, "status": "ACTIVE", "reason": None, "couponTypeId": "WELCOME",
                    "promotionIds": ["CPN"], "validTo": None}
    assert rdb.hgetall(keys.coupon(TENANT, codes[0])) == before
    status, body, _ = await post(client, "/pos/coupons/validate", {"code": "NOPE"})
    assert (status, body["valid"], body["reason"], body["status"]) == (200, False, "INVALID", None)


async def test_reserve_redeem_and_second_redeem_is_409(client, codes):
    status, r, _ = await post(client, "/pos/coupons/reserve", {"code": codes[0], "transactionId": "T1"})
    assert status == 200 and r["status"] == "RESERVED" and r["code"] == codes[0] and r["transactionId"] == "T1"
    assert r["reservationId"] and r["expiresAt"].endswith("Z")
    status, again, _ = await post(client, "/pos/coupons/reserve", {"code": codes[0], "transactionId": "T1"})
    assert (status, again) == (200, r)  # idempotent per code + transaction
    status, body, _ = await post(client, "/pos/coupons/reserve", {"code": codes[0], "transactionId": "T2"})
    assert (status, body["error"]["code"], body["error"]["details"]) == (
        409, "COUPON_UNAVAILABLE", [{"path": codes[0], "issue": "RESERVED_ELSEWHERE"}])
    status, body, _ = await post(client, "/pos/coupons/redeem", {"reservationId": r["reservationId"]})
    assert (status, body) == (200, {"reservationId": r["reservationId"], "code": codes[0], "transactionId": "T1",
                                    "customerId": None, "status": "REDEEMED"})
    status, body, _ = await post(client, "/pos/coupons/redeem", {"reservationId": r["reservationId"]})
    assert (status, body["error"]["code"]) == (409, "ALREADY_REDEEMED")


async def test_cancel_is_idempotent_and_frees_the_code(client, codes, rdb):
    _, r, _ = await post(client, "/pos/coupons/reserve", {"code": codes[0], "transactionId": "T1"})
    for _ in range(2):
        status, body, _ = await post(client, "/pos/coupons/cancel", {"reservationId": r["reservationId"]})
        assert (status, body) == (200, {"reservationId": r["reservationId"], "status": "CANCELLED"})
    assert rdb.hget(keys.coupon(TENANT, codes[0]), "status") == "ACTIVE"
    status, _, _ = await post(client, "/pos/coupons/reserve", {"code": codes[0], "transactionId": "T2"})
    assert status == 200


async def test_unknown_code_and_reservation_are_404(client, codes):
    status, body, _ = await post(client, "/pos/coupons/reserve", {"code": "NOPE", "transactionId": "T1"})
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
    for route in ("redeem", "cancel"):
        status, body, _ = await post(client, f"/pos/coupons/{route}", {"reservationId": "Rnope"})
        assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
    status, body, _ = await admin_post(client, "/pos/coupons/issue", {"couponTypeId": "NOPE", "customerIds": ["C1"]})
    assert status == 404


async def test_issue_then_activate_for_the_owner_only(client, codes):
    status, body, _ = await admin_post(client, "/pos/coupons/issue",
                                       {"couponTypeId": "THX", "customerIds": ["C1", "C2"]})
    assert status == 200 and body["couponTypeId"] == "THX"
    assert [(c["customerId"], c["status"]) for c in body["codes"]] == [("C1", "CREATED"), ("C2", "CREATED")]
    code = body["codes"][0]["code"]
    _, v, _ = await post(client, "/pos/coupons/validate", {"code": code, "customerId": "C1"})
    assert (v["valid"], v["reason"]) == (False, "NOT_ACTIVE")
    status, body, _ = await post(client, "/pos/coupons/activate", {"code": code, "customerId": "C2"})
    assert (status, body["error"]["details"][0]["issue"]) == (409, "NOT_FOR_CUSTOMER")
    status, body, _ = await post(client, "/pos/coupons/activate", {"code": code, "customerId": "C1"})
    assert (status, body) == (200, {"code": code, "customerId": "C1", "status": "ACTIVE"})
    _, v, _ = await post(client, "/pos/coupons/validate", {"code": code, "customerId": "C1"})
    assert v["valid"] is True
    status, body, _ = await post(client, "/pos/coupons/activate", {"code": "NOPE", "customerId": "C1"})
    assert status == 404


@pytest.mark.parametrize("route,body", [("validate", {}), ("reserve", {"code": "X"}), ("redeem", {}),
                                        ("cancel", {"reservationId": ""}), ("activate", {"code": "X"}),
                                        ("issue", {"couponTypeId": "THX", "customerIds": []})])
async def test_bad_bodies_are_400_and_change_nothing(client, codes, rdb, route, body):
    before = rdb.dbsize()
    status, out, _ = await (admin_post if route == "issue" else post)(client, f"/pos/coupons/{route}", body)
    assert (status, out["error"]["code"]) == (400, "INVALID_INPUT")
    assert rdb.dbsize() == before
