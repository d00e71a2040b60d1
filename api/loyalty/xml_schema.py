"""How a wire model maps onto DataContract XML: element names and the kind of each field.

Names come from :mod:`api.loyalty.models` (the field name with its first letter upper-cased,
unless an ``Xml`` marker says otherwise); members are written in ordinal (alphabetical) order of
their element names, as the DataContract serializer does and the seed's samples show.
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel

from api.loyalty.models import Xml

NS = "http://schemas.datacontract.org/2004/07/OfferManagementPOSSupport.Models"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class Member:
    """One field as XML: its element name, and what it holds."""

    field: str
    element: str
    model: type[BaseModel] | None = None  # a nested object, or the item type of a list
    item: str | None = None  # the item element name when the field is a list
    text: bool = False  # a str field: its text is kept as is (other scalars are whitespace-trimmed)

    @property
    def is_list(self) -> bool:
        return self.item is not None


def _unwrap(annotation: object) -> object:
    """``X | None`` -> X; ``Annotated[X, ...]`` -> X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_model(t: object) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


@cache
def members(model: type[BaseModel]) -> tuple[Member, ...]:
    """The model's fields as XML members, in the order the serializer writes them."""
    out = []
    for name, info in model.model_fields.items():
        marker = next((m for m in info.metadata if isinstance(m, Xml)), Xml())
        element = marker.name or name[0].upper() + name[1:]
        t = _unwrap(info.annotation)
        if typing.get_origin(t) is list:
            item_type = _unwrap(typing.get_args(t)[0])
            out.append(Member(name, element, item_type if _is_model(item_type) else None,
                              marker.item or element.removesuffix("s")))
        elif _is_model(t):
            out.append(Member(name, element, t))
        else:
            out.append(Member(name, element, text=t is str))
    return tuple(sorted(out, key=lambda m: m.element))


@cache
def by_element(model: type[BaseModel]) -> dict[str, Member]:
    return {m.element: m for m in members(model)}
