"""The seed page's own sample bodies: every field read, and our answers shaped like its samples."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from xml.etree.ElementTree import fromstring

import orjson
import pytest

from api.loyalty import json_codec, xml_codec
from dre.loyalty import (BillLine, NativeDiscountResult, OperationResult, PosEventError, PosEventResponse, Reward,
                         Staff, StatusCode)
from tests.loyalty.helpers import NS, json_shape, seed, shape

CODECS = {"json": json_codec, "xml": xml_codec}
SEED_TIME = datetime(2025, 11, 4, 11, 10, 23, 731608, tzinfo=timezone(timedelta(hours=-5)))  # 7th digit dropped


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_seed_request_every_wire_field(fmt):
    req = CODECS[fmt].read_request(seed(f"request.{fmt}"))
    assert req.loyalty.loyaltyNumber == "sample string 1"
    assert req.loyalty.tenantId == 2
    b = req.bill
    assert b.checkNumber == 1
    assert (b.server.id, b.server.fullName) == ("sample string 1", "sample string 2")
    assert (b.manager.id, b.manager.fullName) == ("sample string 1", "sample string 2")
    assert b.orderModeId == 1
    assert b.transactionDateTime == b.businessDate == b.businessDateTime == SEED_TIME
    assert b.transactionDateTime.utcoffset() == timedelta(hours=-5)
    assert b.total == Decimal(1)
    assert len(b.billLineItems) == 2
    for it in b.billLineItems:
        assert (it.itemId, it.quantity, it.amount) == (1, Decimal(1), Decimal(1))
        assert (it.itemName, it.parentItemId, it.itemGuid) == ("sample string 1", "sample string 2", "sample string 3")
        assert it.selected is it.matchedPOS is it.isCombo is True
        assert it.sizeId == 1
    assert [d.couponSourceCode for d in req.nativeDiscounts] == ["sample string 1", "sample string 1"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_seed_request_as_published_every_domain_field(fmt):
    # the total (1.0 for two lines of 1.0) is taken as sent: it is informational, not checked
    e = CODECS[fmt].parse_request(seed(f"request.{fmt}"))
    assert e.loyalty_number == "sample string 1"
    assert e.tenant_id == 2
    assert e.check_number == 1
    assert e.business_date == date(2025, 11, 4)
    assert e.transaction_time == SEED_TIME and e.transaction_time.utcoffset() == timedelta(hours=-5)
    assert e.business_date_time == SEED_TIME
    assert e.order_mode_id == 1
    assert e.server == e.manager == Staff("sample string 1", "sample string 2")
    assert e.total == 100
    line = BillLine(1, 1000, 100, "sample string 1", True, True, True, "sample string 2", 1, "sample string 3")
    assert e.lines == (line, line)
    assert e.native_discounts == ("sample string 1", "sample string 1")


SEED_RESULT = OperationResult(StatusCode.UNKNOWN_FAILURE, "sample string 2", "sample string 3")
SEED_REWARD = Reward(1, "sample string 2", "sample string 3", "sample string 4", "sample string 5", "sample string 6",
                     700, "sample string 8")
SEED_RESPONSE = PosEventResponse(1, 2, SEED_RESULT, (SEED_REWARD, SEED_REWARD),
                                 (NativeDiscountResult("sample string 1", SEED_RESULT),) * 2)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_seed_response_parses_to_every_field(fmt):
    assert CODECS[fmt].parse_response(seed(f"response.{fmt}")) == SEED_RESPONSE


def test_json_response_has_the_seed_shape_and_values():
    ours = orjson.loads(json_codec.render_response(SEED_RESPONSE))
    theirs = orjson.loads(seed("response.json"))
    assert json_shape(ours) == json_shape(theirs)  # keys, order, nesting, JSON types
    assert ours == theirs  # and, rendering the seed's own values, the same document


def test_xml_response_has_the_seed_elements_order_and_namespace():
    ours = fromstring(xml_codec.render_response(SEED_RESPONSE))
    theirs = fromstring(seed("response.xml"))
    assert ours.tag == f"{{{NS}}}LoyaltyPOSEventResponse"
    assert shape(ours) == shape(theirs)
    ours_text = [(e.tag, (e.text or "").strip()) for e in ours.iter()]
    theirs_text = [(e.tag, (e.text or "").strip()) for e in theirs.iter()]
    assert ours_text == theirs_text


def test_xml_response_declares_the_seeds_namespaces_on_the_root():
    head = xml_codec.render_response(SEED_RESPONSE).split(b">", 1)[0]
    assert head == (b'<LoyaltyPOSEventResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
                    b'xmlns="http://schemas.datacontract.org/2004/07/OfferManagementPOSSupport.Models"')


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_rendered_request_has_the_seed_request_shape(fmt):
    e = CODECS[fmt].parse_request(seed(f"request.{fmt}"))
    ours, theirs = CODECS[fmt].render_request(e), seed(f"request.{fmt}")
    if fmt == "json":
        assert json_shape(orjson.loads(ours)) == json_shape(orjson.loads(theirs))
    else:
        assert shape(fromstring(ours)) == shape(fromstring(theirs))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_response_round_trips_through_our_parser(fmt):
    codec = CODECS[fmt]
    for resp in (SEED_RESPONSE, PosEventResponse(5, 1205, OperationResult(StatusCode.SUCCESS)),
                 PosEventResponse(0, 0, OperationResult(StatusCode.INVALID_INPUT, "bill: Field required", "abc"),
                                  (Reward(9, value=1250),), (NativeDiscountResult("X1", SEED_RESULT),))):
        assert codec.parse_response(codec.render_response(resp)) == resp


def test_xml_null_is_written_as_nil():
    body = xml_codec.render_response(PosEventResponse(0, 0, OperationResult(StatusCode.SUCCESS)))
    desc = fromstring(body).find(f"{{{NS}}}Result/{{{NS}}}Description")
    assert desc.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
    assert orjson.loads(json_codec.render_response(PosEventResponse(0, 0, OperationResult(StatusCode.SUCCESS)))) == {
        "pointsEarned": 0, "totalPoints": 0, "rewards": [],
        "result": {"statusCode": 0, "description": None, "exceptionTrackingMoniker": None},
        "nativeDiscountResults": []}
