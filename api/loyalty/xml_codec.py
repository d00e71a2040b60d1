"""XML bodies of the loyalty POS event, as the seed's DataContract samples show them.

Reading: the hardened reader (:mod:`api.loyalty.xml_safe`) refuses oversized, too deep or too
large documents, DTDs, entities and external references; then elements map onto the same wire
models as JSON, by local name, so a document with or without the DataContract namespace (or with
a prefix) is read alike. Elements may come in any order; unknown ones are ignored; ``i:nil="true"``
is null; a member given twice is refused. Every refusal is InvalidInput (3); rule breaks are
IncorrectArguments (4), as for JSON.

Writing: the seed's namespace as default namespace and ``xmlns:i`` for ``i:nil``, members in
ordinal order of their element names, null as ``i:nil="true"``, no XML declaration (UTF-8).
"""
from __future__ import annotations

from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

import pydantic
from pydantic import BaseModel

from api.loyalty import models as w
from api.loyalty.convert import (event_from_wire, event_to_wire, response_from_wire, response_to_wire,
                                 validation_error)
from api.loyalty.xml_safe import Limits, UnsafeXml, parse
from api.loyalty.xml_schema import NS, XSI, by_element, members
from dre.errors import join_path
from dre.loyalty.event import PosEvent
from dre.loyalty.result import PosEventResponse, invalid_input

NIL = f"{{{XSI}}}nil"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _is_nil(elem: Element) -> bool:
    return elem.get(NIL, "").strip() in ("true", "1")


def to_dict(elem: Element, model: type[BaseModel], path: tuple[str | int, ...] = ()) -> dict:
    """An element's members as a JSON-shaped dict in the model's field names (values as text)."""
    known = by_element(model)
    out: dict = {}
    for child in elem:
        m = known.get(_local(child.tag))
        if m is None:
            continue  # unknown elements are ignored, like unknown JSON fields
        where = path + (m.field,)
        if m.field in out:
            raise invalid_input(f"{join_path(*where)}: given twice")
        if _is_nil(child):
            out[m.field] = None
        elif m.is_list:
            items = [c for c in child if _local(c.tag) == m.item]
            out[m.field] = [to_dict(c, m.model, where + (i,)) for i, c in enumerate(items)]
        elif m.model is not None:
            out[m.field] = to_dict(child, m.model, where)
        else:
            text = child.text or ""
            out[m.field] = text if m.text else text.strip()
    return out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # money in major units: 7.0 -> "7", 4.5 -> "4.5", as DataContract writes
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def _fill(elem: Element, data: dict, model: type[BaseModel]) -> None:
    for m in members(model):
        if m.field not in data:
            continue  # an optional extension left out (a reward's promotionKey): not even as nil
        value = data[m.field]
        child = SubElement(elem, m.element)
        if value is None:
            child.set("i:nil", "true")
        elif m.is_list:
            for item in value:
                _fill(SubElement(child, m.item), item, m.model)
        elif m.model is not None:
            _fill(child, value, m.model)
        else:
            child.text = _text(value)


def from_dict(data: dict, model: type[BaseModel]) -> bytes:
    """A JSON-shaped dict as the model's XML document."""
    # Namespace declarations written as plain attributes: ElementTree's own prefixes come from a
    # process-wide registry ("ns0"); this gives the seed's exact xmlns / xmlns:i and touches no
    # global state.
    root = Element(model.xml_root, {"xmlns:i": XSI, "xmlns": NS})
    _fill(root, data, model)
    return tostring(root, encoding="unicode").encode()


def _read(body: bytes | str, model: type[BaseModel], limits: Limits):
    try:
        root = parse(body, limits)
    except UnsafeXml as exc:
        raise invalid_input(f"body: {exc}") from None
    if _local(root.tag) != model.xml_root:
        raise invalid_input(f"body: the root element must be {model.xml_root}, not {_local(root.tag)}")
    try:
        return model.model_validate(to_dict(root, model), context={"text": True})
    except pydantic.ValidationError as exc:
        raise validation_error(exc) from None


def read_request(body: bytes | str, limits: Limits = Limits()) -> w.LoyaltyPOSEventRequest:
    """The validated wire model of an XML request (every field as sent). Raises PosEventError(3)."""
    return _read(body, w.LoyaltyPOSEventRequest, limits)


def parse_request(body: bytes | str, limits: Limits = Limits()) -> PosEvent:
    """A LoyaltyPOSEventRequest XML body -> the event. Raises PosEventError (3 or 4)."""
    return event_from_wire(read_request(body, limits))


def render_request(event: PosEvent) -> bytes:
    """The XML request body of an event (for POS clients, tools and tests)."""
    return from_dict(event_to_wire(event), w.LoyaltyPOSEventRequest)


def render_response(resp: PosEventResponse) -> bytes:
    """The LoyaltyPOSEventResponse XML body."""
    return from_dict(response_to_wire(resp), w.LoyaltyPOSEventResponse)


def parse_response(body: bytes | str, limits: Limits = Limits()) -> PosEventResponse:
    """A LoyaltyPOSEventResponse XML body -> the domain response (clients and tests)."""
    return response_from_wire(_read(body, w.LoyaltyPOSEventResponse, limits))
