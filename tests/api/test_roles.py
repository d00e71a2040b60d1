"""Key roles: `tenant:key` is a POS key, `tenant:key:admin` an admin key. Every admin-only route
answers a POS key 403 FORBIDDEN in the contract's error shape and changes nothing; an admin key
reaches them for its own tenant only. (/metrics by role: test_metrics_by_tenant.py.)"""
from __future__ import annotations

import orjson
import pytest
import redis

from tests.api.conftest import (
    ADMIN_AUTH, AUTH, JSON_ADMIN_AUTH, JSON_AUTH, OTHER_ADMIN_KEY, OTHER_TENANT, TENANT, admin_post, post,
)
from tests.api.flows import coupon_types

RICE = {"id": "P10", "name": "2.00 off rice", "type": "ARTICLE",
        "actions": [{"type": "ARTICLE", "values": ["R1"], "amountOff": 2.0}]}
ARTICLES = {"articles": [{"articleNumber": "A1", "name": "Rice", "articleGroupId": "RICE"}]}

# every admin-only route (P1 is a promotion of examples/promotions.json, THX a coupon type of
# tests/api/promos.py): method, path, JSON body or None
ADMIN_ONLY = [
    ("GET", "/admin/loyalty/maintenance", None),
    ("PUT", "/admin/loyalty/maintenance", {"maintenance": True}),
    # OData V4 aliases of admin-only routes: the same endpoints, so the same role
    ("POST", "/odata/v4/pos/importArticles", ARTICLES),
    ("POST", "/odata/v4/pos/issueCoupons", {"couponTypeId": "THX", "customerIds": ["C1"]}),
    ("GET", "/admin/promotions", None),
    ("POST", "/admin/promotions", RICE),
    ("GET", "/admin/promotions/P1", None),
    ("PUT", "/admin/promotions/P10", RICE),
    ("DELETE", "/admin/promotions/P1", None),
    ("POST", "/admin/promotions/P1/activate", None),
    ("POST", "/admin/promotions/P1/deactivate", None),
    ("GET", "/admin/promotions/P1/budget", None),
    ("GET", "/admin/coupon-types", None),
    ("POST", "/admin/coupon-types", {"id": "NEW", "type": "INDIVIDUAL", "prefix": "NEW"}),
    ("GET", "/admin/coupon-types/THX", None),
    ("PUT", "/admin/coupon-types/THX", {"id": "THX", "type": "INDIVIDUAL", "prefix": "THX", "status": "INACTIVE"}),
    ("DELETE", "/admin/coupon-types/THX", None),
    ("POST", "/admin/coupon-types/THX/generate", {"count": 5}),
    ("POST", "/admin/coupon-types/THX/activate", None),
    ("POST", "/admin/coupon-types/THX/deactivate", None),
    ("POST", "/pos/coupons/void", {"code": "SUMMER"}),
    ("POST", "/odata/v4/pos/voidCoupon", {"code": "SUMMER"}),
    ("POST", "/pos/articles/import", ARTICLES),
    ("POST", "/pos/articles/import-batch", ARTICLES),
    ("GET", "/admin/ArticleImportJobs(0123abcd)", None),
    ("POST", "/pos/coupons/issue", {"couponTypeId": "THX", "customerIds": ["C1"]}),
    ("GET", "/admin/stores", None),
    ("GET", "/admin/stores/S001", None),
    ("PUT", "/admin/stores/S001", {"timeZone": "Europe/Berlin"}),
    ("DELETE", "/admin/stores/S001", None),
    ("GET", "/admin/settings", None),
    ("PUT", "/admin/settings", {"timeZone": "Europe/Berlin"}),
    ("GET", "/admin/sync/feed", None),  # local mode's routes at central (docs/local-store.md)
    ("POST", "/admin/sync/transactions", {"transactions": [{"transactionId": "F1", "transactionCounter": 1,
                                                             "confirmedAt": 0, "iteration": {"response": {"totals": {
                                                                 "gross": 1.0, "discount": 0.0, "net": 1.0,
                                                                 "currency": "EUR", "savingsSummary": {
                                                                     "totalSavings": 0.0, "byPromotion": [],
                                                                     "loyaltyPointsEarned": 0}}}}}]}),
    ("POST", "/admin/sync/confirm", {"transactionId": "F2", "transactionCounter": 1, "confirmedAt": 0,
                                     "iteration": {"response": {"totals": {
                                         "gross": 1.0, "discount": 0.0, "net": 1.0, "currency": "EUR",
                                         "savingsSummary": {"totalSavings": 0.0, "byPromotion": [],
                                                            "loyaltyPointsEarned": 0}}}}}),
    ("GET", "/admin/sync/leases", None),
    ("POST", "/admin/sync/leases/return", {"instanceId": "i1", "returns": [
        {"promotionId": "P", "returnId": "r1", "amount": 0, "redemptions": 0}]}),
    ("GET", "/admin/sync/conflicts", None),
]


@pytest.fixture
async def codes(services):
    await services.store.stores.put(TENANT, "S001", '{"timeZone": "UTC"}')  # so /admin/stores/S001 exists
    return await coupon_types(services)


@pytest.fixture
def raw(redis_url) -> redis.Redis:
    return redis.Redis.from_url(redis_url)  # bytes: DUMP values are binary


def snapshot(raw: redis.Redis, tenant: str | None = None) -> dict[bytes, bytes]:
    """Every key of the store (or of one tenant) with its serialized value: what 'nothing
    changed' compares."""
    if tenant is None:
        return {key: raw.dump(key) for key in raw.scan_iter("*")}
    # the tenant's slot, and its keys spread by transaction, member...: dre:{tenant:<kind>:<id>}:...
    return {key: raw.dump(key) for pattern in (f"dre:{{{tenant}}}:*", f"dre:{{{tenant}:*")
            for key in raw.scan_iter(pattern)}


async def call(client, method: str, path: str, body: object | None, headers: dict):
    kwargs = {} if body is None else {"data": orjson.dumps(body)}
    headers = {**headers, "Content-Type": "application/json"} if body is not None else headers
    r = await client.open(path, method=method, headers=headers, **kwargs)
    return r.status_code, orjson.loads(await r.get_data()), r


async def test_the_list_above_is_every_admin_only_route(client):
    from api.http.auth import is_admin_only

    app = client.app
    marked = {(m, rule.rule) for rule in app.url_map.iter_rules() for m in rule.methods - {"HEAD", "OPTIONS"}
              if is_admin_only(app.view_functions[rule.endpoint])}
    listed = {(m, p) for m, p, _ in ADMIN_ONLY}
    assert len(marked) == len(listed) == len(ADMIN_ONLY)
    # every /admin route is admin-only, and the three POS paths (and their OData aliases) besides
    admin_paths = {(m, rule.rule) for rule in app.url_map.iter_rules() for m in rule.methods - {"HEAD", "OPTIONS"}
                   if rule.rule.startswith("/admin")}
    assert admin_paths <= marked
    assert {rule for _, rule in marked - admin_paths} == {
        "/pos/articles/import", "/pos/articles/import-batch", "/pos/coupons/issue", "/pos/coupons/void",
        "/odata/v4/pos/importArticles", "/odata/v4/pos/issueCoupons", "/odata/v4/pos/voidCoupon"}


@pytest.mark.parametrize("method, path, body", ADMIN_ONLY, ids=[f"{m} {p}" for m, p, _ in ADMIN_ONLY])
async def test_a_pos_key_gets_403_and_nothing_changes(client, codes, raw, method, path, body):
    before = snapshot(raw)
    headers = {**AUTH, "Idempotency-Key": "pos-try"} if method == "POST" else AUTH
    status, answer, r = await call(client, method, path, body, headers)
    assert status == 403
    assert answer == {"error": {"code": "FORBIDDEN", "message": answer["error"]["message"], "details": []}}
    assert "admin key" in answer["error"]["message"] and "WWW-Authenticate" not in r.headers
    assert snapshot(raw) == before  # no write, no idempotency record


@pytest.mark.parametrize("method, path, body", ADMIN_ONLY, ids=[f"{m} {p}" for m, p, _ in ADMIN_ONLY])
async def test_the_admin_key_of_the_tenant_gets_through(client, codes, method, path, body):
    status, answer, _ = await call(client, method, path, body, ADMIN_AUTH)
    expected = 404 if "ArticleImportJobs" in path else (202 if path.endswith("import-batch") else None)
    assert status == expected if expected else 200 <= status < 300, (status, answer)


async def test_403_comes_before_body_checks(client, codes):
    bad = [("POST", "/admin/promotions", {"id": 1}), ("POST", "/pos/coupons/issue", {"customerIds": []})]
    for method, path, body in bad:
        assert (await call(client, method, path, body, AUTH))[0] == 403
        assert (await call(client, method, path, body, ADMIN_AUTH))[0] == 400
    r = await client.post("/pos/articles/import", data=b"x" * (2 << 20), headers={**AUTH, "Content-Type": "text/plain"})
    assert r.status_code == 403  # not 413 or 415: a POS key learns nothing about the route


async def test_a_pos_key_cannot_replay_an_admin_answer(client, codes):
    """Idempotency records are per tenant, route and key, not per role: the role check comes first,
    so a POS key that guesses an admin's Idempotency-Key does not get the codes issued then."""
    issue = {"couponTypeId": "THX", "customerIds": ["C1"]}
    status, first, _ = await post(client, "/pos/coupons/issue", issue, {**JSON_ADMIN_AUTH, "Idempotency-Key": "k"})
    assert status == 200
    status, answer, r = await post(client, "/pos/coupons/issue", issue, {**JSON_AUTH, "Idempotency-Key": "k"})
    assert (status, answer["error"]["code"]) == (403, "FORBIDDEN") and "Idempotent-Replayed" not in r.headers


async def test_pos_routes_stay_open_to_pos_keys(client, codes, example_request):
    assert (await post(client, "/pos/v2/evaluate", example_request))[0] == 200
    assert (await post(client, "/pos/coupons/validate", {"code": codes[0]}))[0] == 200
    assert (await client.get("/pos/heartbeat", headers=AUTH)).status_code == 200
    assert (await client.get("/metrics", headers=AUTH)).status_code == 200


async def test_an_admin_write_is_priced_for_the_pos_keys_of_its_tenant(client, example_request):
    status, _, _ = await admin_post(client, "/admin/promotions", RICE)
    assert status == 201
    example_request["request"]["items"] = [{"lineReference": "1", "articleNumber": "R1", "quantity": 1,
                                            "unitPrice": 5.0}]
    _, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert body["totals"]["discount"] == 2.0


async def test_another_tenants_admin_key_cannot_touch_this_tenant(client, codes, raw, rdb, example_request):
    other = {"Authorization": f"Bearer {OTHER_ADMIN_KEY}"}
    before = snapshot(raw, TENANT)
    assert (await call(client, "GET", "/admin/promotions/P1", None, other))[0] == 404
    assert (await call(client, "DELETE", "/admin/promotions/P1", None, other))[0] == 404
    assert (await call(client, "POST", "/admin/promotions/P1/deactivate", None, other))[0] == 404
    assert (await call(client, "GET", "/admin/coupon-types/THX", None, other))[0] == 404
    assert (await call(client, "POST", "/admin/coupon-types/THX/generate", {"count": 1}, other))[0] == 404
    assert (await call(client, "POST", "/pos/coupons/issue", {"couponTypeId": "THX", "customerIds": ["C"]},
                       other))[0] == 404
    # its writes land in its own tenant
    assert (await call(client, "PUT", "/admin/promotions/P1", {**RICE, "id": "P1"}, other))[0] == 201
    assert (await call(client, "POST", "/pos/articles/import", ARTICLES, other))[0] == 200
    listing = (await call(client, "GET", "/admin/promotions", None, other))[1]
    assert [p["id"] for p in listing["promotions"]] == ["P1"]
    assert snapshot(raw, TENANT) == before
    assert rdb.hexists(f"dre:{{{OTHER_TENANT}}}:articles", "A1") and not rdb.hexists(f"dre:{{{TENANT}}}:articles", "A1")
    _, mine, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert mine["totals"]["discount"] == 2.97  # acme's P1 untouched


# --- the OpenAPI document ------------------------------------------------------------------------

async def test_openapi_documents_403_on_admin_only_routes_and_the_roles(client):
    doc = orjson.loads(await (await client.get("/openapi.json")).get_data())
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            admin = (method.upper(), path.replace("{", "<").replace("}", ">")) in {
                (m, p) for m, p, _ in ADMIN_ONLY} or path.startswith("/admin")
            assert ("403" in op["responses"]) == admin, (method, path)
            if admin:  # the contract's error body, as documented for the 401
                assert op["responses"]["403"] == op["responses"]["401"], (method, path)
    scheme = doc["components"]["securitySchemes"]["bearer"]
    assert scheme["scheme"] == "bearer"
    for words in ("tenant:key:admin", "403 FORBIDDEN", "/admin/*", "/pos/coupons/issue", "/metrics"):
        assert words in scheme["description"], words
    assert "tenant:key:admin" in doc["info"]["description"]
