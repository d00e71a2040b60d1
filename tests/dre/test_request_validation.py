"""Bad evaluate requests get the contract's error shape with the failing path."""
from decimal import Decimal

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dre.basket import line_gross, parse_evaluate_body
from dre.errors import DREError
from dre.money import to_milli, to_minor
from dre.wire.types import MAX_ABS_QUANTITY, MAX_UNIT_PRICE

ITEM = {"lineReference": "1", "articleNumber": "A1", "quantity": 2, "unitPrice": 4.99}


def problems(request) -> dict[str, str]:
    with pytest.raises(DREError) as e:
        parse_evaluate_body({"request": request} if request is not None else {})
    body = e.value.to_json()
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["code"] == "INVALID_INPUT"
    return {d["path"]: d["issue"] for d in body["error"]["details"]}


def req(**patch):
    return {"posGroupCode": "G", "items": [ITEM], **patch}


@pytest.mark.parametrize("request_,path,says", [
    (req(items=[ITEM, {**ITEM, "lineReference": "2", "quantity": 0}]), "request.items[1].quantity", "must not be 0"),
    (req(items=[{**ITEM, "unitPrice": -1}]), "request.items[0].unitPrice", "greater than or equal"),
    (req(items=[{**ITEM, "unitPrice": "4.99"}]), "request.items[0].unitPrice", "must be a number"),
    (req(items=[{**ITEM, "quantity": True}]), "request.items[0].quantity", "must be a number"),
    (req(items=[{**ITEM, "unitPrice": None}]), "request.items[0].unitPrice", "must be a number"),
    (req(items=[{**ITEM, "quantity": 1.2345}]), "request.items[0].quantity", "more than 3 decimals"),
    (req(items=[{**ITEM, "articleNumber": ""}]), "request.items[0].articleNumber", "at least 1"),
    (req(channel="FAX"), "request.channel", "Input should be"),
    ({"items": [ITEM]}, "request", "posGroupCode"),
    (req(items=[ITEM, ITEM]), "request", "lineReference must be unique"),
    (req(header={"timestamp": "yesterday"}), "request.header.timestamp", "datetime"),
    (req(coupons=["WELCOME10"]), "request.coupons[0]", "valid dictionary"),
    (req(customer={"loyalty": {"points": True}}), "request.customer.loyalty.points", "must be an integer"),
    (req(includeInactive=1), "request.includeInactive", "valid boolean"),
    (None, "request", "Field required"),
])
def test_bad_requests_name_the_path(request_, path, says):
    found = problems(request_)
    assert path in found, found
    assert says in found[path]


def test_basket_limits():
    big = [{**ITEM, "lineReference": str(i), "quantity": 10_000, "unitPrice": 1_000_000} for i in range(2)]
    assert "request.items" in problems(req(items=big))
    assert "request.items" in problems(req(items=[{**ITEM, "lineReference": str(i)} for i in range(501)]))


def test_returns_and_weighed_goods_are_accepted():
    _, b = parse_evaluate_body({"request": req(items=[{**ITEM, "quantity": -1}, {**ITEM, "lineReference": "2", "quantity": 0.125}])})
    assert [(ln.milli, ln.gross) for ln in b.lines] == [(-1000, -499), (125, 62)]  # 0.62375 -> 0.62


@settings(max_examples=300, deadline=None)
@given(milli=st.integers(-MAX_ABS_QUANTITY * 1000, MAX_ABS_QUANTITY * 1000).filter(bool),
       cents=st.integers(0, MAX_UNIT_PRICE * 100), as_int=st.booleans())
def test_basket_numbers_are_the_exact_decimals(milli, cents, as_int):
    """The basket takes the validated floats by rounding (no second decimal parse): always the
    exact to_milli / to_minor of the JSON number, at every magnitude the validation admits."""
    quantity = milli // 1000 if as_int and milli % 1000 == 0 else float(Decimal(milli).scaleb(-3))
    price = cents // 100 if as_int and cents % 100 == 0 else float(Decimal(cents).scaleb(-2))
    items = [{**ITEM, "quantity": quantity, "unitPrice": 0.01},  # apart: a line's gross has a limit
             {**ITEM, "lineReference": "2", "quantity": 1, "unitPrice": price}]
    lines = parse_evaluate_body(orjson.loads(orjson.dumps({"request": req(items=items)})))[1].lines
    assert (lines[0].milli, lines[1].unit_price) == (to_milli(quantity), to_minor(price)) == (milli, cents)
    assert [ln.gross for ln in lines] == [line_gross(1, milli), line_gross(cents, 1000)]  # computed inline there
