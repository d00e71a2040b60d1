"""The evaluate body's fast path (dre.wire.evaluate_fast) never accepts what the pydantic schema
refuses, reads every value as it does, and accepts the bodies POS clients send."""
import json
from datetime import datetime, timezone
from decimal import Decimal

import msgspec
import orjson
import pydantic
from hypothesis import given, settings
from hypothesis import strategies as st

from dre.basket import basket_from_request
from dre.errors import DREError
from dre.wire.evaluate import EvaluateRequestBody
from dre.wire.evaluate_fast import decode_evaluate_body
from dre.wire.types import MAX_ABS_QUANTITY, MAX_UNIT_PRICE

NOW = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)


def plain(v: object) -> object:
    """Structs and lists as dicts and lists (as pydantic's model_dump gives them)."""
    if isinstance(v, msgspec.Struct):
        return {k: plain(getattr(v, k)) for k in v.__struct_fields__}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def slow(raw: bytes) -> EvaluateRequestBody | None:
    try:
        return EvaluateRequestBody.model_validate(orjson.loads(raw))
    except pydantic.ValidationError:
        return None


def same(raw: bytes) -> bool:
    """Checks the fast path against pydantic on ``raw``; True when the fast path took it."""
    fast, model = decode_evaluate_body(raw), slow(raw)
    if fast is None:
        return False
    assert model is not None, raw  # never accepts what pydantic refuses
    assert plain(fast) == model.model_dump(), raw
    assert basket(fast.request) == basket(model.request)
    return True


def basket(request) -> object:
    try:
        return basket_from_request(request, NOW)
    except DREError as e:  # a basket over the engine's limits
        return e.to_json()


def exact(places: int, lo: int, hi: int) -> st.SearchStrategy:
    """JSON numbers with at most ``places`` decimals in [lo, hi], as ints or floats."""
    return st.integers(lo * 10**places, hi * 10**places).flatmap(
        lambda n: st.sampled_from([float(Decimal(n).scaleb(-places))] + ([n // 10**places] if n % 10**places == 0 else [])))


NAME = st.text(min_size=1, max_size=12)
INT64 = st.integers(-2**63, 2**64 - 1)  # what orjson writes
VALID_ITEM = st.fixed_dictionaries(
    {"articleNumber": NAME, "quantity": exact(3, -MAX_ABS_QUANTITY, MAX_ABS_QUANTITY).filter(bool),
     "unitPrice": exact(2, 0, MAX_UNIT_PRICE)},
    optional={"ean": st.none() | NAME, "articleGroupId": st.none() | NAME, "note": INT64})
TIMESTAMPS = st.sampled_from([None, "2026-12-04T10:00:00", "2026-12-04T10:00:00+01:00", "2026-12-04T10:00:00Z",
                              "2026-12-04 10:00:00.123456", "2026-12-04T10:00:00.1234567Z"])
VALID = st.fixed_dictionaries(
    {"posGroupCode": NAME, "items": st.lists(VALID_ITEM, min_size=0, max_size=30)},
    optional={"header": st.fixed_dictionaries({}, optional={
        "transactionId": st.none() | NAME, "storeId": st.none() | NAME, "currency": st.sampled_from(["EUR", "USD"]),
        "timestamp": TIMESTAMPS}),
        "channel": st.sampled_from(["IN_STORE", "ONLINE", "MOBILE"]),
        "customer": st.none() | st.fixed_dictionaries({}, optional={
            "customerId": st.none() | NAME, "loyaltyCardNo": NAME,
            "loyalty": st.none() | st.fixed_dictionaries({}, optional={"tier": NAME, "points": INT64})}),
        "coupons": st.lists(st.fixed_dictionaries({"code": NAME}), max_size=3),
        "paymentInfo": st.fixed_dictionaries({}, optional={"paymentMeans": NAME, "cardType": st.none() | NAME}),
        "includeInactive": st.booleans(), "includeMissedPromotions": st.booleans(), "extra": st.text()})


def numbered(items: list[dict]) -> list[dict]:
    return [{"lineReference": str(k), **it} for k, it in enumerate(items)]


@settings(max_examples=300, deadline=None)
@given(VALID)
def test_valid_bodies_take_the_fast_path_with_the_same_values(request):
    raw = orjson.dumps({"request": {**request, "items": numbered(request["items"])}})
    assert same(raw)


# near misses: each a value pydantic refuses, or takes only after coercing, or takes by another rule
ODD_STR = st.sampled_from(["", "x" * 200, "x" * 201, "é" * 200, "😀" * 201, 5, None, True, [], {}, "EUR\n", "eur",
                           "EURO", "IN_STORE ", "ONLINE"])
ODD_NUMBER = st.sampled_from([0, 0.0, -0.0, 0.0005, 1.005, 1.2345, -1, 10_000, 10_000.001, -10_000.001, 1_000_000,
                              1_000_000.01, 1e12 + 0.5, 1e15, 2**70, True, False, None, "4.99", 4.990000000000001,
                              0.1 + 0.2, 1e-7, [], {}])
ODD_ANY = ODD_STR | ODD_NUMBER | st.sampled_from(["true", 1, 2.0, "5", "yesterday", "2026-12-04", 1.7e9, 1700000000,
                                                  "2026-12-04T25:00:00", "2026-12-04T10:00:00+25:00",
                                                  "2026-12-04T10:00:60"])
NUMBERS = ODD_NUMBER | exact(4, -20, 20) | exact(3, -20_000, 20_000) | exact(2, -10, 2_000_000) | st.floats(
    -2e6, 2e6, allow_nan=False)
ITEM_FIELDS = {"quantity": NUMBERS, "unitPrice": NUMBERS} | {
    f: ODD_STR for f in ("lineReference", "articleNumber", "ean", "articleGroupId", "originalTransactionId",
                         "originalLineId")}
REQUEST_FIELDS = ["posGroupCode", "posGroupId", "items", "header", "channel", "customer", "coupons", "paymentInfo",
                  "includeInactive", "includeMissedPromotions"]
NESTED = {"header": ["transactionId", "storeId", "currency", "timestamp"],
          "customer": ["customerId", "loyaltyCardNo", "loyalty"], "paymentInfo": ["paymentMeans", "cardType"]}


@st.composite
def near_misses(draw) -> bytes:
    request = draw(VALID)
    items = request["items"] = numbered(request["items"])  # mutated in place below, unless replaced
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["item", "request", "nested", "link", "duplicate", "delete"]))
        if where == "item" and items:
            field = draw(st.sampled_from(sorted(ITEM_FIELDS)))
            draw(st.sampled_from(items))[field] = draw(ITEM_FIELDS[field] | ODD_ANY)
        elif where == "request":
            request[draw(st.sampled_from(REQUEST_FIELDS))] = draw(ODD_ANY)
        elif where == "nested":
            part = draw(st.sampled_from(sorted(NESTED)))
            inner = request.get(part) if isinstance(request.get(part), dict) else {}
            request[part] = {**inner, draw(st.sampled_from(NESTED[part])): draw(ODD_ANY)}
        elif where == "link" and items:
            item = draw(st.sampled_from(items))
            item.update(draw(st.fixed_dictionaries({}, optional={"originalTransactionId": NAME,
                                                                "originalLineId": NAME})))
            item["quantity"] = draw(st.sampled_from([-1, -0.5, 1, 2]))
        elif where == "duplicate" and items:
            items.append(dict(draw(st.sampled_from(items))))
        elif where == "delete":
            target = draw(st.sampled_from(items)) if items and draw(st.booleans()) else request
            if target:
                target.pop(draw(st.sampled_from(sorted(target))), None)
    return json.dumps({"request": request}, ensure_ascii=False).encode()  # (orjson refuses to write 2**70)


@settings(max_examples=600, deadline=None)
@given(near_misses())
def test_the_fast_path_accepts_nothing_pydantic_refuses(raw):
    same(raw)


def test_it_declines_rather_than_guess():
    """What only pydantic can settle goes there: a lax coercion, JSON orjson refuses, a number whose
    decimals need parse_decimal, a body that is not an object."""
    ok = {"posGroupCode": "G", "items": [{"lineReference": "1", "articleNumber": "A", "quantity": 1,
                                           "unitPrice": 2.5}]}
    assert same(orjson.dumps({"request": ok}))
    for raw in [orjson.dumps({"request": {**ok, "includeInactive": "true"}}),
                orjson.dumps({"request": {**ok, "customer": {"loyalty": {"points": 2.0}}}}),
                orjson.dumps({"request": {**ok, "header": {"currency": "EUR\n"}}}),
                b'{"request": {"posGroupCode": "G", "items": [], "x": 1e400}}',
                b'{"request": {"posGroupCode": "G", "items": [], "x": "\xff"}}', b"[]", b"null", b""]:
        assert decode_evaluate_body(raw) is None, raw


@settings(max_examples=400, deadline=None)
@given(VALID.filter(lambda r: r["items"]), st.data())
def test_the_numbers_are_judged_alike(request, data):
    """A line's quantity or unit price, at the edges of what the schema takes: both paths agree
    (the fast one decides every number within the bounds itself)."""
    items = numbered(request["items"])
    data.draw(st.sampled_from(items))[data.draw(st.sampled_from(["quantity", "unitPrice"]))] = data.draw(NUMBERS)
    raw = json.dumps({"request": {**request, "items": items}}, ensure_ascii=False).encode()
    assert same(raw) == (slow(raw) is not None)
