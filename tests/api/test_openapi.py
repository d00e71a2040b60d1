"""GET /openapi.json: a valid OpenAPI 3 document of every route, from the validating models."""
from __future__ import annotations

import orjson
from openapi_spec_validator import validate

from api.evaluate import EvaluateResponse
from tests.api.conftest import admin_post, post


async def _doc(client) -> dict:
    r = await client.get("/openapi.json")  # public: no credentials needed
    assert r.status_code == 200
    return orjson.loads(await r.get_data())


async def test_document_is_valid_and_complete(client):
    doc = await _doc(client)
    validate(doc)
    paths = doc["paths"]
    assert {"/pos/v2/evaluate", "/pos/v2/simulate", "/pos/heartbeat", "/metrics"} <= set(paths)
    for route in ("/pos/v2/evaluate", "/pos/v2/simulate"):
        op = paths[route]["post"]
        assert set(op["responses"]) >= {"200", "400", "401", "413", "415", "503"}
        assert "requestBody" in op
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "best deal" in doc["info"]["description"].lower()
    assert "Returns" in doc["info"]["description"] and "Rounding" in doc["info"]["description"]


async def test_bounds_are_documented_in_json_schema_terms(client):
    """A bound is minimum / exclusiveMinimum / maximum, which clients and schemathesis read; pydantic
    writes a bound set after a custom schema as its own ge/le/gt key, which they ignore. Spot checks
    of fields whose bounds come each way (a decimal type, an int with JSON_INTEGER, a Count)."""
    doc = await _doc(client)
    keys: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            keys.update(k for k, v in node.items() if not isinstance(v, (dict, list)))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc["components"]["schemas"])
    assert not keys & {"ge", "gt", "le", "lt"}, keys & {"ge", "gt", "le", "lt"}
    schemas = doc["components"]["schemas"]
    quantity, length = schemas["Item"]["properties"]["quantity"], schemas["CouponTypeIn"]["properties"]["codeLength"]
    assert (quantity["minimum"], quantity["maximum"], length["minimum"], length["maximum"]) == (-10000, 10000, 6, 64)
    assert schemas["CurrencyToPointsAction"]["properties"]["per"]["exclusiveMinimum"] == 0


async def test_every_documented_model_has_a_name_of_its_own(client):
    """The document names each model's schema by its class name: two models of one name (a
    request's ``Loyalty`` and the POS event's, say) would share one schema, and one of the
    two bodies would be documented wrong."""
    from tests.api.wire_models import route_models

    found: dict[str, set[type]] = {}
    for model in route_models(client.app, responses=True):
        found.setdefault(model.__name__, set()).add(model)
    assert len(found) > 30
    assert not {name: models for name, models in found.items() if len(models) > 1}


async def test_request_schema_is_the_validating_model(client):
    from dre.wire.evaluate import EvaluateRequestBody

    doc = await _doc(client)
    schemas = doc["components"]["schemas"]
    body = doc["paths"]["/pos/v2/evaluate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["title"] == EvaluateRequestBody.__name__
    assert body["properties"]["request"]["$ref"].endswith("/EvaluateRequest")
    assert "posGroupCode" in schemas["EvaluateRequest"]["properties"]


async def test_real_answers_match_the_response_model(client, example_request):
    for path in ("/pos/v2/evaluate", "/pos/v2/simulate"):
        _, body, _ = await post(client, path, example_request)
        EvaluateResponse.model_validate(body)


async def test_confirm_coupon_and_side_effects_answers_match_their_models(client, services):
    from api.confirm import ConfirmResponse, SideEffectsResponse
    from api.coupons import schemas as c
    from tests.api import promos
    from tests.api.conftest import TENANT
    from tests.api.flows import completed_side_effects, confirm, coupon_types, evaluate, item, load

    await load(services, promos.ALL)
    codes = await coupon_types(services)
    await evaluate(client, "T1", [item("1", "X", 2, 12.50)], coupons=(codes[0],))
    status, answer, _ = await confirm(client, "T1", 1)
    assert status == 200
    ConfirmResponse.model_validate(answer, strict=True)
    se = await completed_side_effects(client, services, "T1", 1)
    assert se["results"]["postPurchaseCoupons"] and se["results"]["couponRedemptions"]
    SideEffectsResponse.model_validate(se, strict=True)
    _, r, _ = await post(client, "/pos/coupons/reserve", {"code": codes[1], "transactionId": "T2"})
    calls = [(c.ValidateResponse, "validate", {"code": codes[1]}), (c.ReserveResponse, None, r),
             (c.RedeemResponse, "redeem", {"reservationId": r["reservationId"]}),
             (c.IssueResponse, "issue", {"couponTypeId": "THX", "customerIds": ["C1"]})]
    for model, route, body in calls:
        send = admin_post if route == "issue" else post  # issue is admin-only
        out = body if route is None else (await send(client, f"/pos/coupons/{route}", body))[1]
        model.model_validate(out, strict=True)
    doc = await _doc(client)
    for path in ("/pos/v2/confirm", "/pos/coupons/reserve", "/pos/v2/transactions/{transaction_id}/{counter}/side-effects"):
        assert path in doc["paths"]


async def test_document_is_built_once_not_on_every_request(client, monkeypatch):
    # Building it takes ~0.2 s on the event loop: every evaluate in flight on the worker would wait.
    import quart_schema

    builds = []
    build = quart_schema.OpenAPIProvider.schema
    monkeypatch.setattr(quart_schema.OpenAPIProvider, "schema", lambda self: builds.append(1) or build(self))
    first, second = await _doc(client), await _doc(client)
    assert first == second and first["paths"]
    assert len(builds) == 1


async def test_store_settings_routes_and_missed_promotions_are_documented(client):
    doc = await _doc(client)
    paths = doc["paths"]
    assert {"get", "put", "delete"} <= set(paths["/admin/stores/{store_id}"])
    assert {"get", "put"} <= set(paths["/admin/settings"]) and "get" in paths["/admin/stores"]
    put = paths["/admin/stores/{store_id}"]["put"]
    assert {"200", "201", "400", "403"} <= set(put["responses"])
    schemas = doc["components"]["schemas"]
    assert "timeZone" in schemas["StoreSettingsIn"]["properties"]
    answer = paths["/pos/v2/evaluate"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "missedPromotions" in answer["properties"] and "missedPromotions" in answer["required"]
    assert "CUSTOMER_LIMIT_REACHED" in orjson.dumps(schemas["MissedPromotion"]).decode()
    assert "store's time zone" in schemas["Header"]["properties"]["timestamp"]["description"]
