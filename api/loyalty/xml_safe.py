"""A hardened XML reader for untrusted request bodies (defusedxml underneath).

Refused, each with a sentence for the caller: documents above ``max_bytes``; any DTD (so no entity
declarations, no billion laughs, no external entities or XXE: defusedxml raises before expanding
anything); nesting deeper than ``max_depth``; more than ``max_elements`` elements; malformed XML.
Elements are counted while parsing, so an oversized tree is stopped early instead of being built.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import iterparse


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 1 << 20
    max_depth: int = 16  # the request nests 5 deep; room for a wrapper, never for a bomb
    max_elements: int = 20_000  # 500 lines x 11 elements plus the rest, with margin


class UnsafeXml(ValueError):
    """The document was refused; ``str(exc)`` says why."""


def parse(body: bytes | str, limits: Limits = Limits()) -> Element:
    """The root element of a document that passes every limit; raises UnsafeXml otherwise."""
    data = body.encode() if isinstance(body, str) else body
    if len(data) > limits.max_bytes:
        raise UnsafeXml(f"larger than {limits.max_bytes} bytes")
    depth = count = 0
    root = None
    try:
        for event, elem in iterparse(io.BytesIO(data), events=("start", "end"),
                                     forbid_dtd=True, forbid_entities=True, forbid_external=True):
            if event == "end":
                depth -= 1
                continue
            if root is None:
                root = elem
            depth += 1
            count += 1
            if depth > limits.max_depth:
                raise UnsafeXml(f"nested deeper than {limits.max_depth} elements")
            if count > limits.max_elements:
                raise UnsafeXml(f"more than {limits.max_elements} elements")
    except defusedxml.DTDForbidden:
        raise UnsafeXml("DTDs are not allowed") from None
    except defusedxml.EntitiesForbidden:
        raise UnsafeXml("entity declarations are not allowed") from None
    except defusedxml.ExternalReferenceForbidden:
        raise UnsafeXml("external references are not allowed") from None
    except defusedxml.DefusedXmlException as exc:  # any other refusal defusedxml may add
        raise UnsafeXml(f"refused: {exc}") from None
    except ParseError as exc:
        raise UnsafeXml(f"malformed XML: {exc}") from None
    if root is None:
        raise UnsafeXml("empty document")
    return root
