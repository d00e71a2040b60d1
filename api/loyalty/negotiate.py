"""Content negotiation of the loyalty POS event: which parser reads, which renderer answers.

- Content-Type: application/json and text/json are JSON; application/xml and text/xml are XML;
  application/x-www-form-urlencoded is a form (``form_codec``: ASP.NET Web API's field names),
  read only: its answer comes in JSON unless Accept asks for XML (parameters such as charset
  allowed, case-insensitive). Anything else, or no Content-Type at all, is the 415 of this route:
  ``parse`` raises InvalidInput (3) "unsupported content type".
- Accept may ask for the other format. Media ranges are honoured by q-value (q=0 excludes);
  ``*/*``, ``application/*``, ``text/*`` or no Accept answer in the request's format. When no
  acceptable type is supported, the answer still comes in the request's format rather than an
  empty 406, because every answer of this route must carry a LoyaltyPOSEventResponse.
- The response Content-Type is the accepted media type when Accept named one, else the request's
  own (text/xml in, text/xml out), always with ``charset=utf-8``. With an unsupported request type
  and no usable Accept, errors are answered in JSON.
- A JSON body is decoded by its declared charset (UTF-8 when none); an XML body's encoding is
  the document's own (its declaration or byte-order mark), as XML parsers do. A charset must
  name a text encoding (``utf-16``, ``latin-1``, ``cp1252``...): an unknown name, a codec that is
  no charset (``base64``, ``rot13``, ``zlib``, ``undefined``, ``unicode_escape``, ``idna``...)
  is as good as an unsupported type (400, statusCode 3).
"""
from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass

from api.loyalty import form_codec, json_codec, xml_codec
from dre.loyalty.event import PosEvent
from dre.loyalty.result import PosEventResponse, invalid_input


@dataclass(frozen=True)
class Codec:
    name: str  # "json" | "xml" | "form"
    media_types: tuple[str, ...]  # the first is the default
    parse_request: Callable[[bytes], PosEvent]
    render_response: Callable[[PosEventResponse], bytes] | None  # None: a request format only


JSON = Codec("json", ("application/json", "text/json"), json_codec.parse_request, json_codec.render_response)
XML = Codec("xml", ("application/xml", "text/xml"), xml_codec.parse_request, xml_codec.render_response)
FORM = Codec("form", ("application/x-www-form-urlencoded",), form_codec.parse_request, None)
CODECS = (JSON, XML, FORM)


def _media(value: str) -> tuple[str, dict[str, str]]:
    """``"Text/XML; charset=UTF-8"`` -> ("text/xml", {"charset": "UTF-8"})."""
    kind, *params = value.split(";")
    out = {}
    for p in params:
        k, _, v = p.partition("=")
        out[k.strip().lower()] = v.strip().strip('"')
    return kind.strip().lower(), out


# Python text codecs that are no charset: escapes, domain-name encodings, and one that always fails.
NOT_CHARSETS = frozenset({"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode"})


def is_charset(name: str) -> bool:
    """Whether ``name`` is a text encoding a body may be written in (not base64, rot13...)."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a name with a NUL byte
        return False
    return getattr(info, "_is_text_encoding", True) and info.name not in NOT_CHARSETS


def _codec_of(media_type: str, rendering: bool = False) -> Codec | None:
    return next((c for c in CODECS if media_type in c.media_types and (c.render_response or not rendering)), None)


@dataclass(frozen=True)
class Negotiation:
    request: Codec | None  # None: unsupported Content-Type
    request_type: str  # the Content-Type's media type as sent (lower case), "" when absent
    charset: str | None
    response: Codec
    content_type: str  # the response's Content-Type header value

    def parse(self, body: bytes) -> PosEvent:
        """The event in the body; raises PosEventError (3 or 4)."""
        if self.request is None:
            shown = self.request_type or "none given"
            raise invalid_input(f"unsupported content type ({shown}): use application/json, text/json, "
                                "application/xml, text/xml or application/x-www-form-urlencoded")
        if self.request is FORM:
            return form_codec.parse_request(body, self.charset or "utf-8")
        if self.request is JSON and self.charset and codecs.lookup(self.charset).name != "utf-8":
            try:
                body = body.decode(self.charset).encode()
            except UnicodeError:  # also a lone surrogate that UTF-8 cannot carry
                raise invalid_input(f"body: not valid {self.charset}") from None
        return self.request.parse_request(body)

    def render(self, resp: PosEventResponse) -> bytes:
        assert self.response.render_response is not None  # negotiate picks a rendering codec
        return self.response.render_response(resp)


def _accepted(accept: str, request: Codec | None, request_type: str) -> str | None:
    """The media type to answer with, from Accept; None when Accept leaves it to the request."""
    ranges = []
    for pos, part in enumerate(p for p in accept.split(",") if p.strip()):
        kind, params = _media(part)
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            q = 1.0
        if q > 0:
            ranges.append((-q, pos, kind))
    for _, _, kind in sorted(ranges):
        if _codec_of(kind, rendering=True):
            return kind
        if kind == "*/*":
            return None
        major = kind.removesuffix("/*")
        if kind.endswith("/*") and request is not None:
            if request.render_response is None:  # a form is answered in JSON, in the family asked for
                return next((t for t in JSON.media_types if t.startswith(major + "/")), None)
            # same format, in the family asked for: text/* with a JSON request -> text/json
            return request_type if request_type.startswith(major + "/") else next(
                (t for t in request.media_types if t.startswith(major + "/")), None)
    return None


def negotiate(content_type: str | None, accept: str | None) -> Negotiation:
    """Decide parser, renderer and response Content-Type from the two request headers."""
    request_type, params = _media(content_type) if content_type else ("", {})
    request = _codec_of(request_type)
    charset = params.get("charset")
    if request is not None and charset and not is_charset(charset):
        request = None  # an unknown charset cannot be read: as good as an unsupported type
        request_type = f"{request_type}; charset={charset}"
    chosen = _accepted(accept, request, request_type) if accept else None
    if chosen is None:
        answerable = request is not None and request.render_response is not None
        chosen = request_type if answerable else JSON.media_types[0]
    response = _codec_of(chosen, rendering=True) or JSON
    return Negotiation(request, request_type, charset, response, f"{chosen}; charset=utf-8")
