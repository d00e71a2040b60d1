"""``application/x-www-form-urlencoded`` requests of the loyalty POS event, named as ASP.NET Web API
form binding names them (the seed lists the media type without a sample).

A field name is a path of property names and list indices, in either of the two notations ASP.NET
binds: ``Bill.CheckNumber``, ``Bill.BillLineItems[0].Quantity``, ``NativeDiscounts[1].CouponSourceCode``
(MVC), or ``bill[checkNumber]``, ``bill[billLineItems][0][quantity]`` (jQuery). Names are
case-insensitive (the wire models fold case); ``Bill.Items[i]`` is read as
``Bill.BillLineItems[i]``. Values are text, read as XML text is (``context={"text": True}``:
"1", "1.5", "true", ISO or WCF dates); an empty value is no value (null), as ASP.NET binds it.
The body is percent-decoded as UTF-8 unless the Content-Type names another charset.

Refused with InvalidInput (3), naming the field: a name that is no such path, list indices that
are not 0, 1, 2, ... without gaps, a name given twice or used both as a value and as an object or
list, more than MAX_FIELDS fields. What reads is then validated exactly like a JSON body (missing
or mistyped fields: 3; values that break a rule: 4).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pydantic

from api.loyalty import models as w
from api.loyalty.convert import event_from_wire, validation_error
from dre.loyalty.event import PosEvent
from dre.loyalty.result import invalid_input

MAX_FIELDS = 10_000  # 500 bill lines of ~10 fields each, and the rest
_SEGMENT = re.compile(r"\.?([^.\[\]]+)|\[([^\[\]]*)\]")
ALIASES = {("bill", "items"): "billLineItems"}  # (parent, name) -> the model's name


def _path(name: str) -> list[str | int]:
    """``Bill.BillLineItems[0].Quantity`` -> ["Bill", "BillLineItems", 0, "Quantity"]."""
    out: list[str | int] = []
    pos = 0
    while pos < len(name):
        m = _SEGMENT.match(name, pos)
        if m is None or (pos == 0 and name.startswith(("[", "."))) or m.end() == pos:
            raise invalid_input(f"{name}: not a field name")
        part = m.group(1) if m.group(1) is not None else m.group(2)
        if not part:
            raise invalid_input(f"{name}: not a field name")
        out.append(int(part) if part.isdigit() else part)
        pos = m.end()
    if not out or isinstance(out[0], int):
        raise invalid_input(f"{name or '(empty)'}: not a field name")
    return out


def _listify(node: object, name: str) -> object:
    """Dicts keyed by indices become lists (indices 0..n-1, no gaps), depth first."""
    if not isinstance(node, dict):
        return node
    keys = list(node)
    if keys and all(isinstance(k, int) for k in keys):
        if sorted(keys) != list(range(len(keys))):
            raise invalid_input(f"{name}: list indices must be 0, 1, 2, ... without gaps")
        return [_listify(node[i], f"{name}[{i}]") for i in range(len(keys))]
    if any(isinstance(k, int) for k in keys):
        raise invalid_input(f"{name}: used both as a list and as an object")
    return {k: _listify(v, f"{name}.{k}" if name else str(k)) for k, v in node.items()}


def read_fields(body: bytes, charset: str = "utf-8") -> dict:
    """The nested JSON-like object of a form body (values as text, "" as None)."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=False, encoding=charset,
                          errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise invalid_input(f"body: a form body is ASCII with %-escapes of {charset} text") from None
    except ValueError:
        raise invalid_input(f"body: more than {MAX_FIELDS} fields") from None
    root: dict = {}
    for name, value in pairs:
        path = _path(name)
        node = root
        parent = ""
        for i, part in enumerate(path):
            if isinstance(part, str):
                part = ALIASES.get((parent, part.lower()), part)
                parent = part.lower()
            last = i == len(path) - 1
            existing = next((k for k in node if isinstance(k, str) and isinstance(part, str)
                             and k.lower() == part.lower()), part)
            if last:
                if existing in node:
                    raise invalid_input(f"{name}: given twice, or used both as a value and as an object")
                node[existing] = value if value != "" else None
            else:
                child = node.setdefault(existing, {})
                if not isinstance(child, dict):
                    raise invalid_input(f"{name}: used both as a value and as an object")
                node = child
    return _listify(root, "")


def read_request(body: bytes, charset: str = "utf-8") -> w.LoyaltyPOSEventRequest:
    """The validated wire model of a form body. Raises PosEventError(3)."""
    try:
        return w.LoyaltyPOSEventRequest.model_validate(read_fields(body, charset), context={"text": True})
    except pydantic.ValidationError as exc:
        raise validation_error(exc) from None


def parse_request(body: bytes, charset: str = "utf-8") -> PosEvent:
    """A form body -> the event. Raises PosEventError (3 or 4)."""
    return event_from_wire(read_request(body, charset))
