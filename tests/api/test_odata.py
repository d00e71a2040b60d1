"""The OData V4 surface (/odata/v4/pos/): every POS action of the contract as an unbound action
answering as its REST form, $metadata generated from the validating models, the service
document, the OData error shape, and the same roles."""
from __future__ import annotations

from xml.etree.ElementTree import fromstring

import orjson
from openapi_spec_validator import validate

from api.coupons import schemas as coupon_schemas
from dre.wire.evaluate import EvaluateRequestBody
from tests.api import promos
from tests.api.conftest import ADMIN_AUTH, AUTH, JSON_ADMIN_AUTH, JSON_AUTH, post
from tests.api.flows import coupon_types, load

ROOT = "/odata/v4/pos/"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
CONTRACT_ACTIONS = ["evaluate", "simulate", "confirm", "validateCoupon", "reserveCoupon", "redeemCoupon",
                    "cancelCoupon", "activateCoupon", "issueCoupons", "importArticles"]


def _without_duration(body: dict) -> dict:
    return {**body, "meta": {k: v for k, v in body["meta"].items() if k != "durationMs"}}


async def test_simulate_and_evaluate_answer_as_their_rest_form(client, example_request):
    _, rest, _ = await post(client, "/pos/v2/simulate", example_request)
    status, odata, r = await post(client, ROOT + "simulate", example_request)
    assert status == 200 and r.headers["OData-Version"] == "4.0"
    assert _without_duration(odata) == _without_duration(rest)
    # one transaction, evaluated on both surfaces: one counter sequence, the same priced lines
    _, first, _ = await post(client, "/pos/v2/evaluate", example_request)
    status, second, _ = await post(client, ROOT + "evaluate", example_request)
    assert status == 200 and second["meta"]["header"]["transactionCounter"] == \
        first["meta"]["header"]["transactionCounter"] + 1
    assert second["lineItems"] == first["lineItems"] and second["totals"] == first["totals"]
    # and the OData iteration is the one confirm commits, on either surface
    header = second["meta"]["header"]
    status, confirmed, _ = await post(client, ROOT + "confirm", {"request": {"header": header}})
    assert status == 200 and confirmed["status"] == "CONFIRMED"
    status, again, _ = await post(client, "/pos/v2/confirm", {"request": {"header": header}})
    assert status == 200 and again == confirmed  # the replay of the first answer


async def test_coupon_actions_are_the_rest_handlers(client, services):
    await load(services, promos.ALL)
    codes = await coupon_types(services)
    _, rest, _ = await post(client, "/pos/coupons/validate", {"code": codes[0]})
    status, odata, _ = await post(client, ROOT + "validateCoupon", {"code": codes[0]})
    assert status == 200 and odata == rest and odata["valid"] is True
    status, held, _ = await post(client, ROOT + "reserveCoupon", {"code": codes[0], "transactionId": "T9"})
    assert status == 200 and held["status"] == "RESERVED"
    # the state is shared: REST sees the reservation the OData action made
    _, seen, _ = await post(client, "/pos/coupons/validate", {"code": codes[0]})
    assert seen["status"] == "RESERVED"
    status, cancelled, _ = await post(client, ROOT + "cancelCoupon", {"reservationId": held["reservationId"]})
    assert status == 200 and cancelled["status"] == "CANCELLED"  # the reservation; the code is ACTIVE again
    _, held, _ = await post(client, ROOT + "reserveCoupon", {"code": codes[0], "transactionId": "T9"})
    status, redeemed, _ = await post(client, ROOT + "redeemCoupon", {"reservationId": held["reservationId"]})
    assert status == 200 and redeemed["status"] == "REDEEMED"
    status, issued, _ = await post(client, ROOT + "issueCoupons", {"couponTypeId": "THX", "customerIds": ["C7"]},
                                   JSON_ADMIN_AUTH)
    assert status == 200 and len(issued["codes"]) == 1
    code = issued["codes"][0]["code"]
    status, active, _ = await post(client, ROOT + "activateCoupon", {"code": code, "customerId": "C7"})
    assert status == 200 and active["status"] == "ACTIVE"
    status, imported, _ = await post(client, ROOT + "importArticles", {"articles": [
        {"articleNumber": "A1", "name": "Rice", "articleGroupId": "RICE"}]}, JSON_ADMIN_AUTH)
    assert status == 200 and imported["created"] == 1


async def test_errors_come_in_the_odata_shape(client):
    status, body, _ = await post(client, ROOT + "evaluate", {"request": {"posGroupCode": "X", "items": [
        {"lineReference": "1", "articleNumber": "A", "quantity": 0, "unitPrice": 1.0}]}})
    assert status == 400
    error = body["error"]
    assert error["code"] == "INVALID_INPUT" and error["target"] == "request.items[0].quantity"
    assert error["details"] and {"code", "message", "target"} == set(error["details"][0])
    # the REST form of the same request keeps the contract's shape
    _, rest, _ = await post(client, "/pos/v2/evaluate", {"request": {"posGroupCode": "X", "items": [
        {"lineReference": "1", "articleNumber": "A", "quantity": 0, "unitPrice": 1.0}]}})
    assert {"path", "issue"} == set(rest["error"]["details"][0])
    r = await client.post(ROOT + "confirm", data=b"{}", headers={"Content-Type": "application/json"})
    body = orjson.loads(await r.get_data())
    assert r.status_code == 401 and body["error"]["code"] == "UNAUTHORIZED" and "WWW-Authenticate" in r.headers
    status, body, _ = await post(client, ROOT + "noSuchAction", {})
    assert status == 404 and body == {"error": {"code": "NOT_FOUND", "message": "Not Found", "details": []}}
    r = await client.get(ROOT + "evaluate", headers=AUTH)
    assert r.status_code == 405 and orjson.loads(await r.get_data())["error"]["code"] == "METHOD_NOT_ALLOWED"
    r = await client.post(ROOT + "evaluate", data=b"<x/>", headers={**AUTH, "Content-Type": "application/xml"})
    assert r.status_code == 415 and r.headers["OData-Version"] == "4.0"


async def test_the_same_roles_as_rest(client, rdb):
    body = {"couponTypeId": "THX", "customerIds": ["C1"]}
    status, answer, _ = await post(client, ROOT + "issueCoupons", body)  # a POS key
    assert status == 403 and answer["error"]["code"] == "FORBIDDEN"
    assert not rdb.keys("*coupon*")


async def test_metadata_lists_every_action_with_the_models_parameters(client):
    r = await client.get(ROOT + "$metadata")
    assert r.status_code == 401  # a key is needed, of any role
    r = await client.get(ROOT + "$metadata", headers=AUTH)
    assert r.status_code == 200 and r.mimetype == "application/xml" and r.headers["OData-Version"] == "4.0"
    root = fromstring(await r.get_data())
    schema = root.find(f".//{EDM}Schema")
    actions = {a.get("Name"): a for a in schema.findall(f"{EDM}Action")}
    assert set(CONTRACT_ACTIONS) <= set(actions)
    imports = {i.get("Name") for i in schema.find(f"{EDM}EntityContainer").findall(f"{EDM}ActionImport")}
    assert imports == set(actions)

    def parameters(name: str) -> dict[str, tuple[str, str | None]]:
        return {p.get("Name"): (p.get("Type"), p.get("Nullable")) for p in actions[name].findall(f"{EDM}Parameter")}

    # parameters are the fields of the REST body's model, not a second hand-written list
    assert set(parameters("validateCoupon")) == set(coupon_schemas.ValidateRequest.model_fields)
    assert parameters("reserveCoupon")["transactionId"] == ("Edm.String", "false")
    assert parameters("reserveCoupon")["customerId"] == ("Edm.String", None)  # optional: nullable
    assert set(parameters("evaluate")) == set(EvaluateRequestBody.model_fields)
    assert actions["evaluate"].find(f"{EDM}ReturnType").get("Type") == "DRE.POS.EvaluateResponse"
    types = {t.get("Name"): t for t in schema.findall(f"{EDM}ComplexType")}
    items = {p.get("Name"): p.get("Type") for p in types["Item"].findall(f"{EDM}Property")}
    assert items["quantity"] == "Edm.Decimal" and items["articleNumber"] == "Edm.String"
    evaluate_request = {p.get("Name"): p.get("Type") for p in types["EvaluateRequest"].findall(f"{EDM}Property")}
    assert evaluate_request["items"] == "Collection(DRE.POS.Item)"
    # every type an action names is declared
    declared = {f"DRE.POS.{n}" for n in types}
    named = {e.get("Type").removeprefix("Collection(").removesuffix(")") for e in schema.iter()
             if e.get("Type", "").removeprefix("Collection(").startswith("DRE.POS.")}
    assert named <= declared


async def test_service_document(client):
    r = await client.get(ROOT, headers=ADMIN_AUTH)
    body = orjson.loads(await r.get_data())
    assert r.status_code == 200 and r.headers["OData-Version"] == "4.0"
    assert body["@odata.context"].endswith("/odata/v4/pos/$metadata") and body["value"] == []


async def test_openapi_documents_the_aliases_with_their_error_shape(client):
    doc = orjson.loads(await (await client.get("/openapi.json")).get_data())
    validate(doc)
    for name in CONTRACT_ACTIONS:
        op = doc["paths"][ROOT + name]["post"]
        assert op["operationId"].endswith("_odata") and "Alias of" in op["description"]
        assert "requestBody" in op and "200" in op["responses"]
        error = op["responses"]["400" if "400" in op["responses"] else "401"]["content"]["application/json"]
        assert error["schema"]["title"] == "ODataError"
    assert f"{ROOT}$metadata" in doc["paths"] and ROOT in doc["paths"]
    rest_error = doc["paths"]["/pos/v2/evaluate"]["post"]["responses"]["400"]["content"]["application/json"]
    assert rest_error["schema"]["title"] == "ErrorResponse"


async def test_json_with_odata_parameters_is_json(client, example_request):
    headers = {**JSON_AUTH, "Content-Type": "application/json;odata.metadata=minimal;odata.streaming=true"}
    status, body, _ = await post(client, ROOT + "simulate", example_request, headers)
    assert status == 200 and body["meta"]["isSimulation"] is True


def test_csdl_maps_json_schema_to_edm():
    from api.odata.csdl import csdl

    doc = {"paths": {"/a": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {
            "title": "Body", "type": "object", "required": ["id", "lines"],
            "properties": {"id": {"type": "string", "maxLength": 20},
                           "note": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]},
                           "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
                           "extra": {"type": "object", "additionalProperties": True},
                           "at": {"type": "string", "format": "date-time"}}}}}},
        "responses": {200: {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Line"}}}}}}}},
        "components": {"schemas": {"Line": {"type": "object", "required": ["qty"], "properties": {
            "qty": {"anyOf": [{"type": "integer"}, {"type": "number"}]}, "ok": {"type": "boolean"}}}}}}
    root = fromstring(csdl(doc, [("act", "/a")], "NS", "C"))
    params = {p.get("Name"): p.attrib for p in root.iter(f"{EDM}Parameter")}
    assert params["id"] == {"Name": "id", "Type": "Edm.String", "Nullable": "false", "MaxLength": "20"}
    assert params["note"] == {"Name": "note", "Type": "Edm.String", "MaxLength": "5"}  # nullable: no Nullable
    assert params["lines"]["Type"] == "Collection(NS.Line)" and params["extra"]["Type"] == "NS.OpenObject"
    assert params["at"]["Type"] == "Edm.DateTimeOffset"
    line = {p.get("Name"): p.attrib for p in root.iter(f"{EDM}Property")}
    assert line["qty"]["Type"] == "Edm.Decimal" and line["qty"]["Nullable"] == "false"
    assert line["ok"]["Type"] == "Edm.Boolean"
    assert root.find(f".//{EDM}ReturnType").get("Type") == "NS.Line"
    assert root.find(f".//{EDM}ActionImport").attrib == {"Name": "act", "Action": "NS.act"}
