"""api.http.validation.validate_request answers exactly as quart-schema's decorator it replaces."""
from __future__ import annotations

from datetime import datetime, timezone

import orjson
import pytest
import quart_schema
from quart_schema import QuartSchema
from quart_trio import QuartTrio

from api.app import OrjsonProvider, create_app
from api.http.errors import json_response, register_error_handlers
from api.http.validation import validate_request
from dre.basket import basket_from_request
from dre.wire.evaluate import EvaluateRequestBody
from dre.wire.evaluate_fast import decode_evaluate_body
from tests.api.conftest import EXAMPLES

EXAMPLE = orjson.loads((EXAMPLES / "request.json").read_bytes())
JSON = {"Content-Type": "application/json"}


def _twin_app() -> QuartTrio:
    # The same route under each decorator, on an app set up as api.app does.
    app = QuartTrio("twin")
    QuartSchema(app)
    app.json = OrjsonProvider(app)
    register_error_handlers(app)

    async def echo(data: EvaluateRequestBody):
        return json_response(data.model_dump(mode="json"))

    app.post("/theirs")(quart_schema.validate_request(EvaluateRequestBody)(echo))
    app.post("/ours", endpoint="ours")(validate_request(EvaluateRequestBody)(echo))
    return app


def _item(**patch) -> dict:
    body = orjson.loads(orjson.dumps(EXAMPLE))
    body["request"]["items"][0].update(patch)
    return body


CASES = [
    (orjson.dumps(EXAMPLE), JSON),
    (orjson.dumps(_item(quantity="2")), JSON),
    (orjson.dumps(_item(unitPrice=4.999, quantity=0)), JSON),
    (orjson.dumps({"request": {"items": []}}), JSON),
    (b"[]", JSON), (b"null", JSON), (b'{"request": 1}', JSON), (b"{not json", JSON), (b"", JSON),
    (b"\xff\xfe", JSON), (orjson.dumps(EXAMPLE), {"Content-Type": "text/plain"}), (orjson.dumps(EXAMPLE), {}),
]


@pytest.mark.parametrize("raw, headers", CASES)
async def test_same_answer_as_quart_schema(raw, headers):
    app = _twin_app()
    async with app.test_app() as test_app:
        client = test_app.test_client()
        theirs = await client.post("/theirs", data=raw, headers=headers)
        ours = await client.post("/ours", data=raw, headers=headers)
        assert ours.status_code == theirs.status_code
        assert await ours.get_data() == await theirs.get_data()


async def test_casing_conversion_stays_off(services):
    # api.http.validation does not convert casing; enabling it would need support there first.
    assert create_app(services).config["QUART_SCHEMA_CONVERT_CASING"] is False


@pytest.mark.parametrize("raw, headers", [*CASES, (orjson.dumps(_item(quantity=1.5, extra={"x": [1e300]})), JSON),
                                          (orjson.dumps({"request": {**EXAMPLE["request"], "channel": "FAX"}}), JSON)])
async def test_the_fast_path_answers_as_the_model(raw, headers):
    """evaluate's fast reader (dre.wire.evaluate_fast): the same basket from a valid body, the
    model's own error answer (it words every error) for the rest."""
    app = QuartTrio("fast")
    QuartSchema(app)
    app.json = OrjsonProvider(app)
    register_error_handlers(app)
    seen = []

    async def basket(data):
        seen.append(type(data))
        return json_response(orjson.loads(orjson.dumps(basket_from_request(data.request, EXAMPLE_NOW))))

    app.post("/model", endpoint="model")(validate_request(EvaluateRequestBody)(basket))
    app.post("/fast", endpoint="fast")(validate_request(EvaluateRequestBody, fast=decode_evaluate_body)(basket))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        model = await client.post("/model", data=raw, headers=headers)
        fast = await client.post("/fast", data=raw, headers=headers)
        assert fast.status_code == model.status_code
        assert await fast.get_data() == await model.get_data()
    if model.status_code == 200:  # and the fast path took it
        assert seen[-1] is not EvaluateRequestBody


EXAMPLE_NOW = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)
