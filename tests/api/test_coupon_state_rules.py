"""Coupon state rules through HTTP (issue 17 point 5, issue 13 point 9), on a real Redis: void,
INACTIVE coupon types, a type's per-customer limit over all its codes, personal codes, isStackable,
and no single caller blocking a GENERIC code."""
from __future__ import annotations

import orjson
import pytest

from dre.store import keys
from tests.api import promos
from tests.api.conftest import ADMIN_AUTH, JSON_ADMIN_AUTH, TENANT, admin_post, post
from tests.api.flows import confirm, coupon_types, evaluate, item, load

SOLO = {"id": "SOLO", "type": "GENERIC", "code": "SOLO", "isStackable": False, "promotionIds": ["SOLO-P"]}
SOLO_PROMO = {"id": "SOLO-P", "name": "1.00 off with SOLO", "type": "COUPON",
              "conditions": [{"type": "COUPON", "couponTypeIds": ["SOLO"]}],
              "actions": [{"type": "RECEIPT", "amountOff": 1.00}]}
BASKET = [item("1", "X", 1, 10.00)]


@pytest.fixture
async def codes(services):
    await load(services, [*promos.ALL, SOLO_PROMO])
    return await coupon_types(services)


async def put_type(client, doc: dict) -> None:
    r = await client.put(f"/admin/coupon-types/{doc['id']}", json=doc, headers=JSON_ADMIN_AUTH)
    assert r.status_code in (200, 201), await r.get_data()


async def validate(client, code: str, customer: str | None = None) -> dict:
    status, body, _ = await post(client, "/pos/coupons/validate",
                                 {"code": code, **({"customerId": customer} if customer else {})})
    assert status == 200
    return body


async def reserve(client, code: str, txn: str, customer: str | None = None, headers: dict | None = None):
    body = {"code": code, "transactionId": txn, **({"customerId": customer} if customer else {})}
    status, out, _ = await post(client, "/pos/coupons/reserve", body, headers)
    return status, (out["error"]["details"][0]["issue"] if status != 200 else out)


def result_of(body: dict, code: str) -> dict:
    return next(c for c in body["couponResults"] if c["code"] == code)


# -- void --------------------------------------------------------------------------------------

async def test_void_is_admin_only_terminal_and_every_later_use_says_why(client, codes, rdb):
    code = codes[0]
    status, body, _ = await post(client, "/pos/coupons/void", {"code": code})  # a POS key
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")
    assert rdb.hget(keys.coupon(TENANT, code), "status") == "ACTIVE"

    status, body, _ = await admin_post(client, "/pos/coupons/void", {"code": code})
    assert status == 200 and (body["code"], body["status"]) == (code, "CANCELLED")
    assert body["cancelledAt"].endswith("Z")
    status, again, _ = await admin_post(client, "/pos/coupons/void", {"code": code})
    assert (status, again) == (200, body)  # idempotent: the first answer

    v = await validate(client, code, "C1")
    assert (v["valid"], v["status"], v["reason"]) == (False, "CANCELLED", "CANCELLED")
    assert await reserve(client, code, "T1", "C1") == (409, "CANCELLED")
    status, body, _ = await post(client, "/pos/coupons/activate", {"code": code, "customerId": "C1"})
    assert (status, body["error"]["details"][0]["issue"]) == (409, "CANCELLED")
    ev = await evaluate(client, "T1", BASKET, customer="C1", coupons=(code,))
    assert result_of(ev, code) == {"code": code, "status": "NOT_ACTIVE", "reason": "CANCELLED", "promotionIds": [],
                                   "message": "coupon was cancelled and can no longer be used"}
    assert ev["totals"]["discount"] == 0


async def test_void_of_a_reserved_code_refuses_its_redeem_and_confirm(client, codes):
    _, held = await reserve(client, codes[0], "T1", "C1")
    await evaluate(client, "T2", BASKET, customer="C1", coupons=(codes[1],))  # priced while usable
    for code in codes[:2]:
        assert (await admin_post(client, "/pos/coupons/void", {"code": code}))[0] == 200
    status, body, _ = await post(client, "/pos/coupons/redeem", {"reservationId": held["reservationId"]})
    assert (status, body["error"]["details"]) == (409, [{"path": codes[0], "issue": "CANCELLED"}])
    status, body, _ = await confirm(client, "T2", 1)
    assert (status, body["error"]["code"], body["error"]["details"][0]["issue"]) == (
        409, "COUPON_UNAVAILABLE", "CANCELLED")


async def test_a_voided_generic_code_is_not_revived_by_its_type(client, codes, rdb):
    assert (await admin_post(client, "/pos/coupons/void", {"code": "SUMMER"}))[0] == 200
    await put_type(client, {"id": "SUMMER", "type": "GENERIC", "code": "SUMMER", "maxRedemptions": 60,
                            "promotionIds": ["CPN"]})
    assert rdb.hget(keys.coupon(TENANT, "SUMMER"), "status") == "CANCELLED"
    assert await reserve(client, "SUMMER", "T1") == (409, "CANCELLED")


async def test_void_of_unknown_redeemed_or_bad_codes(client, codes):
    status, body, _ = await admin_post(client, "/pos/coupons/void", {"code": "NOPE"})
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
    _, held = await reserve(client, codes[0], "T1")
    await post(client, "/pos/coupons/redeem", {"reservationId": held["reservationId"]})
    status, body, _ = await admin_post(client, "/pos/coupons/void", {"code": codes[0]})
    assert (status, body["error"]["details"][0]["issue"]) == (409, "ALREADY_REDEEMED")
    status, body, _ = await admin_post(client, "/pos/coupons/void", {"code": ""})
    assert (status, body["error"]["code"]) == (400, "INVALID_INPUT")


# -- INACTIVE coupon types ---------------------------------------------------------------------

async def test_an_inactive_type_blocks_all_its_codes_until_active_again(client, codes):
    _, held = await reserve(client, codes[1], "T9", "C1")
    await put_type(client, {"id": "WELCOME", "type": "INDIVIDUAL", "prefix": "WEL", "status": "INACTIVE",
                            "promotionIds": ["CPN"]})
    v = await validate(client, codes[0], "C1")
    assert (v["valid"], v["status"], v["reason"]) == (False, "ACTIVE", "NOT_ACTIVE")
    assert await reserve(client, codes[0], "T1", "C1") == (409, "NOT_ACTIVE")
    status, body, _ = await post(client, "/pos/coupons/redeem", {"reservationId": held["reservationId"]})
    assert (status, body["error"]["details"][0]["issue"]) == (409, "NOT_ACTIVE")  # held before: refused too
    ev = await evaluate(client, "T1", BASKET, customer="C1", coupons=(codes[0],))
    assert (result_of(ev, codes[0])["status"], ev["totals"]["discount"]) == ("NOT_ACTIVE", 0)

    await put_type(client, {"id": "WELCOME", "type": "INDIVIDUAL", "prefix": "WEL", "status": "ACTIVE",
                            "promotionIds": ["CPN"]})
    ev = await evaluate(client, "T2", BASKET, customer="C1", coupons=(codes[0],))
    assert result_of(ev, codes[0])["status"] == "APPLIED"


async def test_deactivate_and_activate_routes_gate_every_code_of_the_type(client, codes):
    r = await client.post("/admin/coupon-types/WELCOME/deactivate", headers=ADMIN_AUTH)  # no body
    assert r.status_code == 200 and orjson.loads(await r.get_data())["status"] == "INACTIVE"
    assert int(r.headers["X-Promotions-Version"]) > 0
    assert await reserve(client, codes[0], "T1", "C1") == (409, "NOT_ACTIVE")
    ev = await evaluate(client, "T1", BASKET, customer="C1", coupons=(codes[0],))
    assert result_of(ev, codes[0])["status"] == "NOT_ACTIVE"
    status, doc, _ = await admin_post(client, "/admin/coupon-types/WELCOME/activate", {})
    assert (status, doc["status"], doc["id"]) == (200, "ACTIVE", "WELCOME")
    ev = await evaluate(client, "T2", BASKET, customer="C1", coupons=(codes[0],))
    assert result_of(ev, codes[0])["status"] == "APPLIED"
    status, body, _ = await post(client, "/admin/coupon-types/WELCOME/deactivate", {})  # a POS key
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")
    assert (await validate(client, codes[0], "C1"))["valid"] is True  # the refused call changed nothing
    status, body, _ = await admin_post(client, "/admin/coupon-types/NOPE/activate", {})
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


async def test_activate_does_not_revive_the_code_of_an_inactive_generic_type(client, codes):
    await put_type(client, {"id": "SUMMER", "type": "GENERIC", "code": "SUMMER", "status": "INACTIVE",
                            "maxRedemptions": 50, "promotionIds": ["CPN"]})
    status, body, _ = await post(client, "/pos/coupons/activate", {"code": "SUMMER", "customerId": "C1"})
    assert (status, body["error"]["details"][0]["issue"]) == (409, "NOT_ACTIVE")
    v = await validate(client, "SUMMER", "C1")
    assert (v["valid"], v["reason"]) == (False, "NOT_ACTIVE")
    ev = await evaluate(client, "T1", BASKET, customer="C1", coupons=("SUMMER",))
    assert result_of(ev, "SUMMER")["status"] == "NOT_ACTIVE"


# -- a type's maxRedemptionsPerCustomer over all its codes -------------------------------------

async def test_per_customer_limit_of_a_type_counts_all_its_codes(client, codes):
    await put_type(client, {"id": "WELCOME", "type": "INDIVIDUAL", "prefix": "WEL", "maxRedemptionsPerCustomer": 1,
                            "promotionIds": ["CPN"]})
    ev = await evaluate(client, "T1", BASKET, customer="C1", coupons=(codes[0],))
    assert result_of(ev, codes[0])["status"] == "APPLIED"
    assert (await confirm(client, "T1", 1))[0] == 200

    assert await reserve(client, codes[1], "T2", "C1") == (409, "LIMIT_REACHED")
    v = await validate(client, codes[1], "C1")
    assert (v["valid"], v["reason"]) == (False, "LIMIT_REACHED")
    ev = await evaluate(client, "T3", BASKET, customer="C1", coupons=(codes[1],))
    assert (result_of(ev, codes[1])["status"], ev["totals"]["discount"]) == ("LIMIT_REACHED", 0)
    status, _ = await reserve(client, codes[1], "T4", "C2")  # another customer: fine
    assert status == 200


# -- personal codes ----------------------------------------------------------------------------

async def _personal_code(client, customer: str) -> str:
    _, body, _ = await admin_post(client, "/pos/coupons/issue", {"couponTypeId": "WELCOME", "customerIds": [customer]})
    code = body["codes"][0]["code"]
    assert (await post(client, "/pos/coupons/activate", {"code": code, "customerId": customer}))[0] == 200
    return code


async def test_a_personal_code_works_only_with_its_customer(client, codes, rdb):
    code = await _personal_code(client, "C1")
    for customer in (None, "C2"):
        v = await validate(client, code, customer)
        assert (v["valid"], v["reason"]) == (False, "NOT_FOR_CUSTOMER")
        assert await reserve(client, code, "T1", customer) == (409, "NOT_FOR_CUSTOMER")
        ev = await evaluate(client, f"T-{customer}", BASKET, customer=customer, coupons=(code,))
        assert result_of(ev, code) == {
            "code": code, "status": "NOT_ACTIVE", "reason": "NOT_FOR_CUSTOMER", "promotionIds": [],
            "message": "coupon is personal: it is valid only for the customer it was issued to"}
        assert ev["totals"]["discount"] == 0
    ev = await evaluate(client, "T-own", BASKET, customer="C1", coupons=(code,))
    assert result_of(ev, code)["status"] == "APPLIED"
    assert rdb.hget(keys.coupon(TENANT, code), "status") == "ACTIVE"  # nothing was redeemed


# -- isStackable -------------------------------------------------------------------------------

async def test_a_non_stackable_code_is_not_combined_with_another(client, codes):
    await put_type(client, SOLO)
    ev = await evaluate(client, "T1", BASKET, customer="C1", coupons=(codes[0], "SOLO"))
    assert result_of(ev, codes[0])["status"] == "APPLIED"
    assert result_of(ev, "SOLO") == {
        "code": "SOLO", "status": "NOT_APPLICABLE", "reason": "NOT_STACKABLE", "promotionIds": [],
        "message": "coupon cannot be combined with another coupon in the same transaction"}
    assert ev["totals"]["discount"] == 2.00
    ev = await evaluate(client, "T2", BASKET, customer="C1", coupons=("SOLO", codes[0]))  # the first one wins
    assert (result_of(ev, "SOLO")["status"], result_of(ev, codes[0])["reason"]) == ("APPLIED", "NOT_STACKABLE")
    assert ev["totals"]["discount"] == 1.00
    status, body, _ = await confirm(client, "T2", 1)
    assert status == 200 and body["couponRedemptions"] == [{"code": "SOLO", "status": "REDEEMED"}]
    ev = await evaluate(client, "T3", BASKET, customer="C1", coupons=("SOLO",))  # alone: fine
    assert result_of(ev, "SOLO")["status"] == "APPLIED"


async def test_stackable_codes_still_combine(client, codes):
    ev = await evaluate(client, "T1", BASKET, customer="C1", coupons=(codes[0], "SUMMER"))
    assert [(c["status"], c["reason"]) for c in ev["couponResults"]] == [("APPLIED", None), ("NOT_APPLICABLE", None)]


# -- no single caller blocks a GENERIC code ----------------------------------------------------

async def test_one_caller_cannot_hold_a_generic_code_for_everyone(client, codes, rdb):
    outcomes = [await reserve(client, "SUMMER", f"T{i}") for i in range(50)]  # one POS key, max 50
    assert [s for s, _ in outcomes[:25]] == [200] * 25
    assert outcomes[25:] == [(409, "TOO_MANY_HOLDS")] * 25
    status, _ = await reserve(client, "SUMMER", "OTHER-LANE", headers=JSON_ADMIN_AUTH)  # another key
    assert status == 200
    # the caller's own transactions replay, and a hold it gives back makes room again
    assert (await reserve(client, "SUMMER", "T0"))[1] == outcomes[0][1]
    await post(client, "/pos/coupons/cancel", {"reservationId": outcomes[0][1]["reservationId"]})
    assert (await reserve(client, "SUMMER", "T-next"))[0] == 200
    assert rdb.zcard(keys.coupon_holds(TENANT, "SUMMER")) == 26


async def test_a_confirm_with_coupons_and_a_money_budget_keeps_both_right(client, codes, rdb):
    """confirm.lua's keys after the coupons (the budget-remaining hash, the sale record) sit past
    the coupons' seven keys each."""
    ev = await evaluate(client, "T1", [item("1", "A", 1, 5.00)], customer="C1", coupons=(codes[0], "SUMMER"))
    assert {d["promotionId"] for d in ev["lineItems"][0]["discounts"]} >= {"BUD", "CPN"}
    status, body, _ = await confirm(client, "T1", 1)
    assert status == 200 and body["couponRedemptions"] == [{"code": codes[0], "status": "REDEEMED"}]
    assert rdb.hget(keys.budget_remaining(TENANT), "BUD") == "100"  # 2.00 - 1.00
    assert rdb.hget(keys.coupon(TENANT, codes[0]), "status") == "REDEEMED"
    assert rdb.hget(keys.coupon(TENANT, "SUMMER"), "uses") == "0"  # not applied: not claimed
