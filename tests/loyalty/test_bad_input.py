"""Bad bodies: what is unreadable answers InvalidInput (3), what breaks a rule IncorrectArguments (4)."""
from __future__ import annotations

import orjson
import pytest

from api.loyalty import json_codec, xml_codec
from api.loyalty.xml_safe import Limits
from dre.loyalty import PosEventError, StatusCode
from tests.loyalty.helpers import seed

INVALID, INCORRECT = StatusCode.INVALID_INPUT, StatusCode.INCORRECT_ARGUMENTS


def fails(parse, body, status: StatusCode, *needles: str) -> str:
    """Assert ``parse(body)`` raises PosEventError with ``status`` and a description naming ``needles``."""
    with pytest.raises(PosEventError) as exc:
        parse(body)
    assert exc.value.status == status, exc.value.description
    for n in needles:
        assert n in exc.value.description
    return exc.value.description


def json_body(**changes) -> bytes:
    """The seed JSON request with changes: ``bill__total=3`` sets bill.total, None deletes."""
    data = orjson.loads(seed("request.json"))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return orjson.dumps(data)


def xml_body(old: str, new: str) -> bytes:
    body = seed("request.xml")
    assert old.encode() in body
    return body.replace(old.encode(), new.encode(), 1)


# ---- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"{", b'{"loyalty": }', b"\xff\xfe{}", b"{'a': 1}"])
def test_malformed_json(body):
    fails(json_codec.parse_request, body, INVALID, "malformed JSON")


@pytest.mark.parametrize("body", [b"[]", b"1", b'"x"', b"null"])
def test_json_must_be_an_object(body):
    fails(json_codec.parse_request, body, INVALID, "must be a JSON object")


@pytest.mark.parametrize("path,field", [
    ("loyalty", "loyalty"), ("bill", "bill"), ("loyalty__loyaltyNumber", "loyalty.loyaltyNumber"),
    ("bill__checkNumber", "bill.checkNumber"), ("bill__transactionDateTime", "bill.transactionDateTime"),
    ("bill__businessDate", "bill.businessDate"), ("bill__total", "bill.total"),
    ("bill__billLineItems__1__amount", "bill.billLineItems[1].amount"),
    ("bill__billLineItems__0__itemId", "bill.billLineItems[0].itemId"),
    ("nativeDiscounts__0__couponSourceCode", "nativeDiscounts[0].couponSourceCode"),
])
def test_missing_required_field_is_invalid_input_naming_it(path, field):
    fails(json_codec.parse_request, json_body(**{path: None}), INVALID, f"{field}: Field required")


@pytest.mark.parametrize("path,value,field", [
    ("bill__total", "2.00", "bill.total"),  # text is no JSON number
    ("bill__checkNumber", 1.5, "bill.checkNumber"),
    ("bill__checkNumber", True, "bill.checkNumber"),
    ("bill__billLineItems__0__quantity", "1", "bill.billLineItems[0].quantity"),
    ("bill__billLineItems__0__selected", "yes", "bill.billLineItems[0].selected"),
    ("bill__billLineItems__1__isCombo", 1, "bill.billLineItems[1].isCombo"),
    ("loyalty__loyaltyNumber", 123, "loyalty.loyaltyNumber"),
    ("loyalty__tenantId", "2", "loyalty.tenantId"),
    ("bill__transactionDateTime", "yesterday", "bill.transactionDateTime"),
    ("bill__billLineItems", {"itemId": 1}, "bill.billLineItems"),
    ("bill", [], "bill"),
])
def test_wrong_json_type_is_invalid_input_naming_the_field(path, value, field):
    fails(json_codec.parse_request, json_body(**{path: value}), INVALID, f"{field}:")


@pytest.mark.parametrize("changes,field", [
    ({"bill__billLineItems__0__quantity": 0}, "bill.billLineItems[0].quantity"),
    ({"bill__billLineItems__0__quantity": 1.0005}, "bill.billLineItems[0].quantity"),
    ({"bill__billLineItems__1__amount": 1.005, "bill__total": 2.005}, "bill.billLineItems[1].amount"),
    ({"bill__billLineItems__1__amount": -1.0, "bill__total": 0.0}, "bill.billLineItems[1].amount"),
    ({"bill__billLineItems__0__quantity": 10001}, "bill.billLineItems[0].quantity"),
    ({"bill__billLineItems__0__amount": 2000000.0, "bill__total": 2000001.0}, "bill.billLineItems[0].amount"),
    ({"loyalty__loyaltyNumber": "  "}, "loyalty.loyaltyNumber"),
])
def test_values_that_break_a_rule_are_incorrect_arguments(changes, field):
    fails(json_codec.parse_request, json_body(**changes), INCORRECT, f"{field}:")


@pytest.mark.parametrize("total", [2.01, 1.99, 2.50, 0])
def test_total_is_informational_and_may_differ_from_the_lines(total):
    # tax, tips and service charges are in a check's total but in no bill line
    assert json_codec.parse_request(json_body(bill__total=total)).total == round(total * 100)


def test_total_keeps_its_own_precision_rule():
    fails(json_codec.parse_request, json_body(bill__total=2.001), INCORRECT, "bill.total:")


def test_return_lines_have_negative_quantity_and_amount():
    e = json_codec.parse_request(json_body(bill__billLineItems__1__quantity=-1, bill__billLineItems__1__amount=-1.0,
                                           bill__total=0))
    assert [(ln.milli, ln.amount) for ln in e.lines] == [(1000, 100), (-1000, -100)]


def test_visit_without_lines_or_discounts():
    e = json_codec.parse_request(json_body(bill__billLineItems=None, nativeDiscounts=None, bill__total=0))
    assert (e.lines, e.native_discounts, e.total) == ((), (), 0)


def test_unknown_json_fields_are_ignored_and_names_match_case_insensitively():
    data = orjson.loads(json_body(bill__surprise={"x": 1}))
    data["Loyalty"] = data.pop("loyalty")
    data["Loyalty"]["LoyaltyNumber"] = data["Loyalty"].pop("loyaltyNumber")
    assert json_codec.parse_request(orjson.dumps(data)).loyalty_number == "sample string 1"


def test_wcf_json_dates_are_read():
    e = json_codec.parse_request(json_body(bill__transactionDateTime="/Date(1762272623731-0500)/"))
    assert e.transaction_time.isoformat() == "2025-11-04T11:10:23.731000-05:00"


@pytest.mark.parametrize("date", ["/Date(99999999999999999999)/", "/Date(-99999999999999999999)/",
                                  "/Date(253402300800000)/", "/Date(-62135596800001+0100)/",
                                  "/Date(99999999999999999999-0500)/", "/Date(" + "9" * 5000 + ")/"])
def test_wcf_json_dates_beyond_dotnet_datetime_are_invalid_input(date):
    # datetime.fromtimestamp overflowed (OverflowError, OSError: a 500) before the range was checked
    fails(json_codec.parse_request, json_body(bill__transactionDateTime=date), INVALID,
          "bill.transactionDateTime: out of range")


def test_wcf_json_dates_at_the_ends_of_the_range_and_bad_offsets():
    e = json_codec.parse_request(json_body(bill__transactionDateTime="/Date(253402214399999+2359)/"))
    assert e.transaction_time.isoformat() == "9999-12-31T23:58:59.999000+23:59"
    e = json_codec.parse_request(json_body(bill__transactionDateTime="/Date(-62135510400000-2359)/"))
    assert e.transaction_time.isoformat() == "0001-01-01T00:01:00-23:59"
    for date in ("/Date(0+2400)/", "/Date(0-0060)/"):
        fails(json_codec.parse_request, json_body(bill__transactionDateTime=date), INVALID,
              "bill.transactionDateTime: UTC offset out of range")
    body = xml_body("<TransactionDateTime>2025-11-04T11:10:23.7316087-05:00</TransactionDateTime>",
                    "<TransactionDateTime>/Date(99999999999999999999)/</TransactionDateTime>")
    fails(xml_codec.parse_request, body, INVALID, "bill.transactionDateTime: out of range")


def test_naive_times_are_utc_and_business_date_is_the_date_as_written():
    e = json_codec.parse_request(json_body(bill__transactionDateTime="2025-11-04T23:30:00",
                                           bill__businessDate="2025-11-04T23:30:00+09:00"))
    assert e.transaction_time.isoformat() == "2025-11-04T23:30:00+00:00"
    assert e.business_date.isoformat() == "2025-11-04"


def test_oversized_json_is_refused_before_parsing():
    body = json_body(bill__padding="x" * 2000)
    fails(lambda b: json_codec.parse_request(b, max_bytes=1000), body, INVALID, "larger than 1000 bytes")
    assert json_codec.parse_request(body).check_number == 1


# ---- XML ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"<LoyaltyPOSEventRequest>", b"<a></b>", b"not xml", b"<a><b></a>"])
def test_malformed_xml(body):
    fails(xml_codec.parse_request, body, INVALID, "body:")


def test_wrong_root_element():
    fails(xml_codec.parse_request, b"<LoyaltyPOSEventResponse/>", INVALID, "root element must be LoyaltyPOSEventRequest")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<LoyaltyPOSEventRequest><Loyalty><LoyaltyNumber>&lol4;</LoyaltyNumber></Loyalty></LoyaltyPOSEventRequest>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<LoyaltyPOSEventRequest><Loyalty><LoyaltyNumber>&xxe;</LoyaltyNumber></Loyalty></LoyaltyPOSEventRequest>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE LoyaltyPOSEventRequest SYSTEM "http://example.invalid/evil.dtd">
<LoyaltyPOSEventRequest/>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, EXTERNAL_DTD], ids=["billion-laughs", "xxe", "external-dtd"])
def test_dtds_and_entities_are_refused(body):
    fails(xml_codec.parse_request, body, INVALID, "DTDs are not allowed")


def test_entities_are_refused_even_when_dtds_would_pass(monkeypatch):
    # Defence in depth: were DTDs allowed, entity declarations would still be refused.
    from api.loyalty import xml_safe
    real = xml_safe.iterparse
    monkeypatch.setattr(xml_safe, "iterparse", lambda *a, **kw: real(*a, **{**kw, "forbid_dtd": False}))
    fails(xml_codec.parse_request, BILLION_LAUGHS, INVALID, "entity declarations are not allowed")
    fails(xml_codec.parse_request, XXE, INVALID, "entity declarations are not allowed")


def test_oversized_xml_is_refused():
    body = seed("request.xml").replace(b"<Bill>", b"<Bill><Padding>" + b"x" * (1 << 20) + b"</Padding>")
    fails(xml_codec.parse_request, body, INVALID, "larger than 1048576 bytes")


def test_too_deep_xml_is_refused():
    body = b"<LoyaltyPOSEventRequest>" + b"<a>" * 100 + b"</a>" * 100 + b"</LoyaltyPOSEventRequest>"
    fails(xml_codec.parse_request, body, INVALID, "nested deeper than 16")


def test_too_many_elements_are_refused():
    body = seed("request.xml")
    fails(lambda b: xml_codec.parse_request(b, Limits(max_elements=40)), body, INVALID, "more than 40 elements")
    assert xml_codec.parse_request(body, Limits(max_elements=60)).check_number == 1


def test_xml_without_namespace_or_with_a_prefix_reads_alike():
    body = seed("request.xml")
    plain = body.replace(b' xmlns="http://schemas.datacontract.org/2004/07/OfferManagementPOSSupport.Models"', b"")
    assert plain != body
    prefixed = body.replace(b'xmlns="', b'xmlns:m="').replace(b"<", b"<m:").replace(b"<m:/", b"</m:")
    assert b"<m:Bill>" in prefixed and b"</m:Bill>" in prefixed
    expected = xml_codec.parse_request(body)
    assert xml_codec.parse_request(plain) == expected
    assert xml_codec.parse_request(prefixed) == expected


def test_xml_members_in_any_order_unknown_ignored_nil_is_null():
    body = xml_body("<CheckNumber>1</CheckNumber>", "<Unknown>?</Unknown>")
    body = body.replace(b"<Bill>", b"<Bill><CheckNumber> 7 </CheckNumber>")
    body = body.replace(b"<SizeId>1</SizeId>", b'<SizeId i:nil="true"/>', 1)
    e = xml_codec.parse_request(body)
    assert e.check_number == 7
    assert [ln.size_id for ln in e.lines] == [None, 1]


def test_xml_member_given_twice_is_refused():
    body = xml_body("<CheckNumber>1</CheckNumber>", "<CheckNumber>1</CheckNumber><CheckNumber>2</CheckNumber>")
    fails(xml_codec.parse_request, body, INVALID, "bill.checkNumber: given twice")


@pytest.mark.parametrize("old,new,field", [
    ("<Total>1</Total>", "<Total>two</Total>", "bill.total"),
    ("<CheckNumber>1</CheckNumber>", "<CheckNumber>1.5</CheckNumber>", "bill.checkNumber"),
    ("<Selected>true</Selected>", "<Selected>maybe</Selected>", "bill.billLineItems[0].selected"),
    ("<TransactionDateTime>2025-11-04T11:10:23.7316087-05:00</TransactionDateTime>", "", "bill.transactionDateTime"),
    ("<LoyaltyNumber>sample string 1</LoyaltyNumber>", "", "loyalty.loyaltyNumber"),
])
def test_xml_wrong_or_missing_value_is_invalid_input_naming_the_field(old, new, field):
    fails(xml_codec.parse_request, xml_body(old, new), INVALID, f"{field}:")


def test_xml_total_with_too_many_decimals_is_incorrect_arguments():
    fails(xml_codec.parse_request, xml_body("<Total>1</Total>", "<Total>2.555</Total>"), INCORRECT, "bill.total:")


def test_integers_beyond_64_bits_are_invalid_input():
    body = xml_body("<CheckNumber>1</CheckNumber>", "<CheckNumber>100000000000000000000000</CheckNumber>")
    fails(xml_codec.parse_request, body, INVALID, "bill.checkNumber:")
    for big in (b"9223372036854775808", b"18446744073709551616"):  # 2**63 (an int), 2**64 (orjson: a float)
        body = seed("request.json").replace(b'"checkNumber": 1,', b'"checkNumber": ' + big + b",")
        fails(json_codec.parse_request, body, INVALID, "bill.checkNumber:")


@pytest.mark.parametrize("old,new,field", [
    ("<Total>1</Total>", "<Total>1E+999999999</Total>", "bill.total"),  # must not be expanded to an integer
    ("<Quantity>1</Quantity>", "<Quantity>1E+400</Quantity>", "bill.billLineItems[0].quantity"),
])
def test_huge_decimals_are_out_of_range(old, new, field):
    fails(xml_codec.parse_request, xml_body(old, new), INCORRECT, f"{field}: out of range")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_invalid_input(text):
    fails(xml_codec.parse_request, xml_body("<Total>1</Total>", f"<Total>{text}</Total>"), INVALID, "bill.total:")


def test_the_documented_json_schema_says_what_the_json_codec_accepts():
    # money and quantities are JSON numbers (text is refused: a Decimal is no "number or string"),
    # integers are bounded with JSON Schema's own keywords (pydantic wrote "ge"/"le")
    from api.loyalty import models as w
    defs = w.LoyaltyPOSEventRequest.model_json_schema()["$defs"]
    assert defs["LoyaltyBill"]["properties"]["total"]["type"] == "number"
    assert defs["BillLineItem"]["properties"]["quantity"]["type"] == "number"
    check = defs["LoyaltyBill"]["properties"]["checkNumber"]
    assert (check["type"], check["minimum"], check["maximum"]) == ("integer", -(2**63), 2**63 - 1)
    assert "'ge'" not in str(defs) and "string" not in str(defs["BillLineItem"]["properties"]["amount"])
    value = w.LoyaltyPOSEventResponse.model_json_schema(mode="serialization")["$defs"]["Reward"]["properties"]
    assert value["promotionValue"] == {"default": 0, "title": "Promotionvalue", "type": "number"}
