"""Every field of every request body keeps the JSON type it was sent with: true is not 1, 1 is not
true, "5" is not 5, and no number is a date-time. Pydantic's lax mode takes them all, so a field
typed plain ``int``, ``bool`` or ``datetime`` would accept an integration bug (schemathesis found
two: a lease return's ``redemptions: true``, a coupon type's ``validFrom: 1.2e-139``, both taken).
Request integers are ``dre.wire.types.Integer`` (or JSON_INTEGER), numbers Number, booleans Flag,
date-times Timestamp; this walks every route's request model, nested models included, and probes
each field."""
from __future__ import annotations

import decimal
import typing
from collections.abc import Iterator
from datetime import datetime

from pydantic import BaseModel, TypeAdapter, ValidationError

from tests.api.wire_models import route_models

PROBES = (True, False, 1, "5")


def _kind(v: object) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float, decimal.Decimal)):
        return "number"
    if isinstance(v, str):
        return "string"
    return type(v).__name__


def _leaves(v: object) -> Iterator[object]:
    if isinstance(v, (list, tuple, set, frozenset)):
        for x in v:
            yield from _leaves(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from _leaves(x)
    else:
        yield v


def coercions(annotation: object) -> list[str]:
    """The probes (bare, in a list, as a dict value) that ``annotation`` accepts as another JSON type."""
    adapter, found = TypeAdapter(annotation), []
    for probe in PROBES:
        for sent in (probe, [probe], {"k": probe}):
            try:
                got = adapter.validate_python(sent)
            except ValidationError:
                continue
            for leaf in _leaves(got):
                if isinstance(leaf, BaseModel):
                    continue  # {"k": ...} read as an object of all-optional fields: an object still
                if _kind(leaf) != _kind(probe):
                    found.append(f"{sent!r} -> {got!r}")
    return found


def test_the_probe_sees_a_lax_field():
    assert coercions(int) and coercions(bool) and coercions(dict[str, int]) and coercions(datetime)  # it would notice


async def test_no_request_field_takes_a_value_of_another_json_type(client):
    models = route_models(client.app)
    assert len(models) >= 10  # the walk found the routes' models
    lax = {f"{model.__name__}.{name}": found for model in models for name, f in model.model_fields.items()
           if (found := coercions(typing.Annotated[f.annotation, *f.metadata] if f.metadata else f.annotation))}
    assert not lax, lax

