"""JSON bodies of the loyalty POS event (orjson), shaped exactly as on the seed page.

Reading: at most ``max_bytes`` (default 1 MiB), UTF-8 (the caller decodes another declared
charset first), one JSON object. Malformed JSON, a body that is not an object, a missing field or
a value of the wrong type answer InvalidInput (3) naming the field; values that read but break a
rule answer IncorrectArguments (4) (see dre.loyalty.event).
"""
from __future__ import annotations

import orjson
import pydantic

from api.loyalty import models as w
from api.loyalty.convert import (event_from_wire, event_to_wire, response_from_wire, response_to_wire,
                                 validation_error)
from dre.loyalty.event import PosEvent
from dre.loyalty.result import PosEventResponse, invalid_input

MAX_BYTES = 1 << 20


def _load(body: bytes | str, max_bytes: int) -> dict:
    if len(body) > max_bytes:
        raise invalid_input(f"body: larger than {max_bytes} bytes")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid_input(f"body: malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise invalid_input("body: must be a JSON object")
    return data


def _validate(model: type[pydantic.BaseModel], data: dict):
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc) from None


def read_request(body: bytes | str, max_bytes: int = MAX_BYTES) -> w.LoyaltyPOSEventRequest:
    """The validated wire model of a request body (every field as sent). Raises PosEventError(3)."""
    return _validate(w.LoyaltyPOSEventRequest, _load(body, max_bytes))


def parse_request(body: bytes | str, max_bytes: int = MAX_BYTES) -> PosEvent:
    """A LoyaltyPOSEventRequest body -> the event. Raises PosEventError (3 or 4)."""
    return event_from_wire(read_request(body, max_bytes))


def render_request(event: PosEvent) -> bytes:
    """The JSON request body of an event (for POS clients, tools and tests)."""
    return orjson.dumps(event_to_wire(event))


def render_response(resp: PosEventResponse) -> bytes:
    """The LoyaltyPOSEventResponse JSON body; money as numbers in major units (``7.0``)."""
    return orjson.dumps(response_to_wire(resp))


def parse_response(body: bytes | str, max_bytes: int = MAX_BYTES) -> PosEventResponse:
    """A LoyaltyPOSEventResponse JSON body -> the domain response (clients and tests)."""
    return response_from_wire(_validate(w.LoyaltyPOSEventResponse, _load(body, max_bytes)))
