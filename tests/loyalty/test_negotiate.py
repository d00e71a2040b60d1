"""Content negotiation: Content-Type chooses the parser, Accept may choose the other renderer."""
from __future__ import annotations

from xml.etree.ElementTree import fromstring

import orjson
import pytest

from api.loyalty.negotiate import JSON, XML, negotiate
from dre.loyalty import OperationResult, PosEventError, PosEventResponse, StatusCode, error_response
from tests.loyalty.helpers import NS, seed

OK = PosEventResponse(15, 1200, OperationResult(StatusCode.SUCCESS))


@pytest.mark.parametrize("content_type,accept,parser,renderer,answer_type", [
    ("application/json", None, JSON, JSON, "application/json"),
    ("text/json", None, JSON, JSON, "text/json"),
    ("application/xml", None, XML, XML, "application/xml"),
    ("Text/XML; charset=UTF-8", "*/*", XML, XML, "text/xml"),
    ("application/json", "application/xml", JSON, XML, "application/xml"),
    ("text/xml", "application/json", XML, JSON, "application/json"),
    ("application/json", "text/*", JSON, JSON, "text/json"),
    ("application/xml", "text/html, application/json;q=0.5", XML, JSON, "application/json"),
    ("application/xml", "application/json;q=0.2, text/xml;q=0.9", XML, XML, "text/xml"),
    ("application/xml", "application/json;q=0, */*;q=0.1", XML, XML, "application/xml"),
    ("application/json", "image/png", JSON, JSON, "application/json"),  # nothing usable: answer as asked in
])
def test_choices(content_type, accept, parser, renderer, answer_type):
    n = negotiate(content_type, accept)
    assert (n.request, n.response, n.content_type) == (parser, renderer, f"{answer_type}; charset=utf-8")


@pytest.mark.parametrize("content_type", [None, "", "text/plain", "multipart/form-data",
                                          "application/json; charset=no-such-charset"])
def test_unsupported_content_type_answers_3_in_json(content_type):
    n = negotiate(content_type, None)
    with pytest.raises(PosEventError) as exc:
        n.parse(seed("request.json"))
    assert exc.value.status == StatusCode.INVALID_INPUT
    assert exc.value.description.startswith("unsupported content type")
    body = orjson.loads(n.render(exc.value.to_response()))
    assert (body["pointsEarned"], body["totalPoints"], body["rewards"]) == (0, 0, [])
    assert body["result"]["statusCode"] == 3 and n.content_type == "application/json; charset=utf-8"


def test_unsupported_content_type_answers_in_xml_when_accept_asks():
    n = negotiate("text/plain", "application/xml")
    assert n.request is None
    root = fromstring(n.render(error_response(StatusCode.INVALID_INPUT, "unsupported content type")))
    assert root.find(f"{{{NS}}}Result/{{{NS}}}StatusCode").text == "3"


def test_json_in_xml_out():
    n = negotiate("application/json", "application/xml")
    e = n.parse(seed("request.json"))
    root = fromstring(n.render(OK))
    assert e.check_number == 1
    assert root.tag == f"{{{NS}}}LoyaltyPOSEventResponse"
    assert root.find(f"{{{NS}}}PointsEarned").text == "15"


def test_xml_in_json_out():
    n = negotiate("text/xml", "application/json")
    e = n.parse(seed("request.xml"))
    assert e.total == 100
    assert orjson.loads(n.render(OK))["totalPoints"] == 1200


def test_body_that_does_not_match_its_content_type_is_invalid_input():
    with pytest.raises(PosEventError) as exc:
        negotiate("application/json", None).parse(seed("request.xml"))
    assert exc.value.status == StatusCode.INVALID_INPUT and "malformed JSON" in exc.value.description


def test_json_body_in_a_declared_charset():
    body = seed("request.json").decode().replace("sample string 1", "Müller", 1)
    e = negotiate("application/json; charset=utf-16", None).parse(body.encode("utf-16"))
    assert e.loyalty_number == "Müller"
    with pytest.raises(PosEventError) as exc:
        negotiate("application/json; charset=utf-16", None).parse(b"{\x00\xd8")  # a lone surrogate
    assert exc.value.status == StatusCode.INVALID_INPUT


@pytest.mark.parametrize("charset", ["base64", "rot13", "undefined", "hex", "zlib", "bz2", "uu", "quopri",
                                     "unicode_escape", "raw_unicode_escape", "idna", "punycode", "utf\x00-8"])
@pytest.mark.parametrize("media_type", ["application/json", "text/xml"])
def test_a_codec_that_is_no_charset_is_an_unsupported_type(media_type, charset):
    # base64, rot13... are Python codecs but no text encoding: bytes.decode refuses them with
    # LookupError, "undefined" always raises UnicodeError; neither may escape as a 500
    n = negotiate(f"{media_type}; charset={charset}", None)
    assert n.request is None
    with pytest.raises(PosEventError) as exc:
        n.parse(seed("request.json"))
    assert exc.value.status == StatusCode.INVALID_INPUT
    assert exc.value.description.startswith(f"unsupported content type ({media_type}; charset={charset})")


@pytest.mark.parametrize("charset", ["utf-8", "UTF8", "utf-8-sig", "latin-1", "iso-8859-15", "cp1252", "ascii",
                                     "utf-16", "utf-32", "utf-7"])
def test_text_encodings_are_charsets(charset):
    body = seed("request.json").decode().encode(charset)
    assert negotiate(f"application/json; charset={charset}", None).parse(body).check_number == 1


def test_xml_body_in_its_own_declared_encoding():
    body = seed("request.xml").decode().replace("<LoyaltyNumber>sample string 1<",
                                                           "<LoyaltyNumber>Müller<")
    doc = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + body).encode("latin-1")
    assert negotiate("application/xml", None).parse(doc).loyalty_number == "Müller"
