"""The answer encoded from its meta and its once-encoded body is the answer build_response shapes."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from dre.basket import parse_evaluate_body
from dre.evaluate import ReferenceSet
from dre.promotion.rules_file import load_rules
from dre.response import build_response, encode_response, response_body, response_meta

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("counter, extra", [(3, {"counterSource": "STORE"}), (None, None)])
def test_encode_response_is_the_bytes_of_build_response(counter, extra):
    promotions, ctx = load_rules(EXAMPLES / "promotions.json")
    _, basket = parse_evaluate_body(orjson.loads((EXAMPLES / "request.json").read_bytes()))
    rs = ReferenceSet(promotions)
    result = rs.evaluate(basket, ctx)
    assert result.applied  # the example basket gets discounts: the body has content to splice
    kw = {"transaction_id": "T1", "counter": counter, "is_simulation": counter is None, "duration_ms": 1.2345,
          "meta_extra": extra}
    body = orjson.dumps(response_body(basket, result, rs.by_id))
    encoded = encode_response(response_meta(result, **kw), body)
    assert encoded == orjson.dumps(build_response(basket, result, rs.by_id, **kw))
    assert list(orjson.loads(encoded))[:2] == ["meta", "lineItems"]
