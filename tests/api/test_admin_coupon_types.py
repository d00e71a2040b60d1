"""/admin/coupon-types through HTTP: CRUD, generate, and coupon-type gates in pricing."""
from __future__ import annotations

from dre.store import codes
from tests.api.conftest import post
from tests.api.test_admin_promotions import RICE, basket, call

WELCOME = {"id": "WELCOME", "type": "INDIVIDUAL", "status": "ACTIVE", "prefix": "WEL", "codeLength": 10,
           "maxRedemptions": 1, "maxRedemptionsPerCustomer": 1, "validFrom": "2026-11-01T00:00:00Z",
           "validTo": "2027-01-31T23:59:59Z", "isStackable": True, "promotionIds": ["P10"]}
SUMMER = {"id": "SUMMER", "type": "GENERIC", "code": "SUMMER26", "maxRedemptions": 100, "promotionIds": ["P10"]}


async def test_create_get_list_replace_delete(client):
    status, doc, r = await call(client, "POST", "/admin/coupon-types", WELCOME)
    assert status == 201 and r.headers["Location"] == "/admin/coupon-types/WELCOME"
    assert doc == WELCOME
    assert (await call(client, "POST", "/admin/coupon-types", WELCOME))[1]["error"]["code"] == "ALREADY_EXISTS"
    assert (await call(client, "GET", "/admin/coupon-types/WELCOME"))[1] == WELCOME
    status, doc, _ = await call(client, "PUT", "/admin/coupon-types/WELCOME", {**WELCOME, "status": "INACTIVE"})
    assert status == 200 and doc["status"] == "INACTIVE"
    await call(client, "POST", "/admin/coupon-types", SUMMER)
    listing = (await call(client, "GET", "/admin/coupon-types"))[1]
    assert [t["id"] for t in listing["couponTypes"]] == ["SUMMER", "WELCOME"]
    assert (await call(client, "DELETE", "/admin/coupon-types/WELCOME"))[0] == 200
    assert (await call(client, "GET", "/admin/coupon-types/WELCOME"))[0] == 404
    assert (await call(client, "DELETE", "/admin/coupon-types/WELCOME"))[0] == 404


async def test_validation_and_immutable_kind_and_code(client):
    status, body, _ = await call(client, "POST", "/admin/coupon-types", {**SUMMER, "code": None})
    assert status == 400 and "GENERIC" in body["error"]["message"]
    status, body, _ = await call(client, "POST", "/admin/coupon-types", {**WELCOME, "codeLength": 3, "x": 1})
    assert status == 400 and {"codeLength", "x"} <= {d["path"] for d in body["error"]["details"]}
    await call(client, "POST", "/admin/coupon-types", SUMMER)
    status, body, _ = await call(client, "PUT", "/admin/coupon-types/SUMMER", {**SUMMER, "code": "OTHER26"})
    assert status == 400 and body["error"]["details"][0]["path"] == "code"
    status, body, _ = await call(client, "PUT", "/admin/coupon-types/X", SUMMER)
    assert status == 400 and body["error"]["details"][0]["path"] == "id"
    status, body, _ = await call(client, "POST", "/admin/coupon-types", {**SUMMER, "id": "OTHER"})
    assert status == 409 and body["error"]["code"] == "COUPON_CODE_TAKEN"


async def test_generate_unique_active_codes_with_prefix_and_length(client, services):
    await call(client, "POST", "/admin/coupon-types", WELCOME)
    status, body, _ = await call(client, "POST", "/admin/coupon-types/WELCOME/generate", {"count": 200})
    assert status == 200
    got = body["codes"]
    assert len(got) == len(set(got)) == 200
    assert all(c.startswith("WEL") and len(c) == 10 and set(c[3:]) <= set(codes.ALPHABET) for c in got)
    stored = await services.store.coupons.get("acme", got[0])
    assert (stored["status"], stored["typeId"]) == ("ACTIVE", "WELCOME")
    assert (await call(client, "POST", "/admin/coupon-types/WELCOME/generate", {"count": 0}))[0] == 400
    assert (await call(client, "POST", "/admin/coupon-types/NOPE/generate", {"count": 1}))[0] == 404
    await call(client, "POST", "/admin/coupon-types", SUMMER)
    status, body, _ = await call(client, "POST", "/admin/coupon-types/SUMMER/generate", {"count": 1})
    assert status == 409


async def test_a_type_gates_its_promotions_and_deleting_it_cancels_the_generic_code(client, example_request):
    await call(client, "POST", "/admin/promotions", RICE)
    await call(client, "POST", "/admin/coupon-types", SUMMER)  # P10 now needs the code
    req = basket(example_request)
    assert (await post(client, "/pos/v2/evaluate", req))[1]["totals"]["discount"] == 0
    req["request"]["coupons"] = [{"code": "SUMMER26"}]
    status, body, _ = await post(client, "/pos/v2/evaluate", req)
    assert body["totals"]["discount"] == 2.0
    assert body["couponResults"][0]["status"] == "APPLIED"
    await call(client, "DELETE", "/admin/coupon-types/SUMMER")  # gate gone, code cancelled
    status, body, _ = await post(client, "/pos/v2/evaluate", req)
    assert body["totals"]["discount"] == 2.0 and body["couponResults"][0]["status"] != "APPLIED"


async def test_types_written_by_the_store_api_list_whole(client, services):
    # post-purchase and test set-ups write types through the store with fields, not a document
    from dre.wire.coupon_type import CouponTypeIn
    from tests.api.conftest import TENANT

    await services.store.coupon_types.put(TENANT, "THX", kind="INDIVIDUAL", prefix="THX", valid_to_ms=1_900_000_000_000)
    await services.store.coupon_types.put(TENANT, "SUMMER", kind="GENERIC", code="SUMMER", max_redemptions=50)
    status, body, _ = await call(client, "GET", "/admin/coupon-types")
    assert status == 200
    listed = {t["id"]: t for t in body["couponTypes"]}
    assert listed["THX"]["validTo"] == "2030-03-17T17:46:40Z" and listed["SUMMER"]["maxRedemptions"] == 50
    for t in listed.values():
        CouponTypeIn.model_validate(t)  # what the response schema promises


async def test_every_type_write_answers_the_promotions_version_it_moved(client, services):
    from tests.api.conftest import TENANT

    async def version() -> int:
        return await services.store.promotions.version(TENANT)

    before = await version()
    status, _, r = await call(client, "POST", "/admin/coupon-types", SUMMER)
    assert status == 201 and int(r.headers["X-Promotions-Version"]) == await version() > before
    before = await version()
    status, _, r = await call(client, "PUT", "/admin/coupon-types/SUMMER", {**SUMMER, "maxRedemptions": 5})
    assert status == 200 and int(r.headers["X-Promotions-Version"]) == await version() > before
    status, _, r = await call(client, "PUT", "/admin/coupon-types/WELCOME", WELCOME)
    assert status == 201 and int(r.headers["X-Promotions-Version"]) == await version()
    before = await version()
    status, body, r = await call(client, "DELETE", "/admin/coupon-types/SUMMER")
    assert status == 200 and body == {"id": "SUMMER", "version": int(r.headers["X-Promotions-Version"])}
    assert body["version"] == await version() > before
    # reads and refused writes move nothing and answer no version
    for method, path, doc in (("GET", "/admin/coupon-types", None), ("POST", "/admin/coupon-types", WELCOME),
                              ("DELETE", "/admin/coupon-types/SUMMER", None)):
        _, _, r = await call(client, method, path, doc)
        assert "X-Promotions-Version" not in r.headers, (method, path)


async def test_coupon_types_of_the_promotions_file_are_in_the_store_and_confirm_redeems_them(redis_url, tmp_path):
    """What docs/confirm.md states: the file's coupon types are written to the store at start-up
    (with its promotions), so a GENERIC code of the file is redeemed by confirm like any other."""
    import orjson

    from api.app import create_app
    from api.worker import open_services
    from tests.api.conftest import TENANT, make_config
    from tests.api.flows import confirm, evaluate, item

    gated = {"id": "FC", "name": "2.00 off with FILE26", "type": "ARTICLE",
             "actions": [{"type": "ARTICLE", "values": ["R1"], "amountOff": 2.0}]}
    path = tmp_path / "promotions.json"
    path.write_bytes(orjson.dumps({"promotions": [gated], "couponTypes": [
        {"id": "FILE", "type": "GENERIC", "code": "FILE26", "maxRedemptions": 1, "promotionIds": ["FC"]}]}))
    async with open_services(make_config(DRE_PROMOTIONS_FILE=str(path)), redis_url, warm_up=False) as services:
        stored = await services.store.coupons.get(TENANT, "FILE26")
        assert (stored["status"], stored["typeId"]) == ("ACTIVE", "FILE")
        app = create_app(services)
        async with app.test_app() as test_app:
            client = test_app.test_client()
            assert (await call(client, "GET", "/admin/coupon-types/FILE"))[0] == 200
            body = await evaluate(client, "FT1", [item("1", "R1", 1, 5.0)], coupons=("FILE26",))
            assert body["totals"]["discount"] == 2.0 and body["couponResults"][0]["status"] == "APPLIED"
            status, answer, _ = await confirm(client, "FT1", 1)
            assert status == 200, answer
            assert answer["couponRedemptions"] == [{"code": "FILE26", "status": "REDEEMED"}]
            # maxRedemptions 1: the code is used up in the store, so the next basket cannot have it
            body = await evaluate(client, "FT2", [item("1", "R1", 1, 5.0)], coupons=("FILE26",))
            assert body["totals"]["discount"] == 0 and body["couponResults"][0]["status"] != "APPLIED"
