"""Shared helpers of the loyalty tests: the seed's sample bodies and a small event builder."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from xml.etree.ElementTree import Element

from dre.loyalty import BillLine, PosEvent

FIXTURES = Path(__file__).parent / "fixtures"
NS = "http://schemas.datacontract.org/2004/07/OfferManagementPOSSupport.Models"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
EST = timezone(timedelta(hours=-5))


def seed(name: str) -> bytes:
    """A sample body copied verbatim from the seed page (seed-request.json, seed-response.xml, ...)."""
    return (FIXTURES / f"seed-{name}").read_bytes()


def event(lines: list[tuple[int, int, int]] | None = None, when: datetime | None = None, **fields) -> PosEvent:
    """An event of (itemId, milli, amount cents) lines whose total adds up."""
    bill = tuple(BillLine(i, q, a) for i, q, a in (lines if lines is not None else [(100, 1000, 1000)]))
    data = dict(loyalty_number="M1", check_number=42, business_date=date(2026, 11, 27),
                transaction_time=when or datetime(2026, 11, 27, 10, 15, tzinfo=EST),
                total=sum(ln.amount for ln in bill), lines=bill)
    data.update(fields)
    return PosEvent(**data)


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def shape(elem: Element) -> tuple:
    """An element's structure: (namespaced tag, [children's shapes]) in document order, no text."""
    return (elem.tag, [shape(c) for c in elem])


def json_shape(value: object) -> object:
    """A JSON value's structure: keys in order, lists item by item, leaves by JSON type."""
    if isinstance(value, dict):
        return [(k, json_shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [json_shape(v) for v in value]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__
