"""The CSDL ($metadata) of the OData surface, derived from the OpenAPI document.

The OpenAPI document is generated from the models that validate the requests and shape the
answers; reading the actions' request bodies and 2xx answers from it keeps one source for both
descriptions. Each action's parameters are the top-level properties of its REST request body
(an OData action takes its parameters as one JSON object: the REST body as it is), its return
type the 2xx answer. JSON Schema maps to EDM as:

- string: Edm.String (MaxLength when the schema bounds it); ``format: date-time``:
  Edm.DateTimeOffset; ``format: date``: Edm.Date; an enum of strings: Edm.String.
- integer: Edm.Int64; number: Edm.Decimal (Scale variable: money in major units, quantities);
  boolean: Edm.Boolean.
- array: Collection(item type); an object with properties: a ComplexType named by its schema's
  title; an object without (a free-form map) or a schema open to several types:
  ``DRE.POS.OpenObject`` / Edm.String, see ``_edm``.
- Nullable="false" only for a required property whose schema does not allow null.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import quoteattr

OPEN_OBJECT = "OpenObject"  # an open ComplexType of no declared properties: free-form JSON objects
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
SCALARS = {"integer": "Edm.Int64", "number": "Edm.Decimal", "boolean": "Edm.Boolean"}
STRING_FORMATS = {"date-time": "Edm.DateTimeOffset", "date": "Edm.Date"}


class _Builder:
    def __init__(self, document: dict, namespace: str) -> None:
        self.components: dict = document.get("components", {}).get("schemas", {})
        self.ns = namespace
        self.types: dict[str, list[str]] = {}  # ComplexType name -> its <Property> lines

    def resolve(self, schema: dict) -> tuple[dict, str | None]:
        """(the schema behind a $ref, the component's name) or (schema, None)."""
        ref = schema.get("$ref")
        if ref is None:
            return schema, None
        name = ref.rsplit("/", 1)[-1]
        return self.components[name], name

    def edm(self, schema: dict, hint: str) -> tuple[str, bool]:
        """(EDM type, nullable) of a JSON schema; ``hint`` names an untitled object type."""
        schema, name = self.resolve(schema)
        variants = schema.get("anyOf") or schema.get("oneOf")
        if variants:
            kinds = [v for v in variants if v.get("type") != "null"]
            nullable = len(kinds) < len(variants)
            if len(kinds) == 1:
                return self.edm(kinds[0], hint)[0], nullable
            if all(self.resolve(k)[0].get("type") in ("integer", "number") for k in kinds):
                return "Edm.Decimal", nullable
            return self._open(), nullable  # a union of shapes: described by the REST document
        kind = schema.get("type")
        if kind == "array":
            item, _ = self.edm(schema.get("items", {}), hint)
            return f"Collection({item})", False
        if kind == "object" or "properties" in schema:
            if not schema.get("properties"):
                return self._open(), False
            return f"{self.ns}.{self.complex_type(schema, name or schema.get('title') or hint)}", False
        if kind == "string":
            return STRING_FORMATS.get(schema.get("format", ""), "Edm.String"), False
        if kind in SCALARS:
            return SCALARS[kind], False
        if kind == "null":
            return "Edm.String", True
        return self._open(), True  # no type given: any JSON value

    def _open(self) -> str:
        self.types.setdefault(OPEN_OBJECT, [])
        return f"{self.ns}.{OPEN_OBJECT}"

    def complex_type(self, schema: dict, name: str) -> str:
        name = _identifier(name)
        if name in self.types:
            return name
        self.types[name] = []  # registered first: a type may refer to itself
        self.types[name] = list(self.members(schema, "Property", name))
        return name

    def members(self, schema: dict, element: str, owner: str) -> Iterable[str]:
        """<Property> (or <Parameter>) lines of an object schema's properties, in order."""
        required = set(schema.get("required", ()))
        for prop, sub in schema.get("properties", {}).items():
            if not _IDENTIFIER.match(prop):
                raise ValueError(f"{owner}.{prop} is no OData identifier")
            edm, nullable = self.edm(sub, owner + prop[:1].upper() + prop[1:])
            attrs = f"Name={quoteattr(prop)} Type={quoteattr(edm)}"
            if not edm.startswith("Collection(") and prop in required and not nullable:
                attrs += ' Nullable="false"'
            resolved, _ = self.resolve(sub)
            variants = [v for v in resolved.get("anyOf", ()) if v.get("type") != "null"]
            if len(variants) == 1:
                resolved, _ = self.resolve(variants[0])  # X | None: X's facets
            if edm == "Edm.String" and "maxLength" in resolved:
                attrs += f' MaxLength="{int(resolved["maxLength"])}"'
            if edm == "Edm.Decimal":
                attrs += ' Scale="variable"'
            yield f"<{element} {attrs}/>"


def _identifier(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", name) or "_"
    return name if _IDENTIFIER.match(name) else "_" + name[:127]


def _operation(document: dict, path: str) -> dict:
    return document["paths"][path]["post"]


def _json_schema(content: dict | None) -> dict | None:
    media = (content or {}).get("application/json")
    return media.get("schema") if media else None


def csdl(document: dict, actions: Iterable[tuple[str, str]], namespace: str, container: str) -> str:
    """The CSDL XML of ``actions`` ((name, path in ``document``) pairs), as $metadata answers it."""
    b = _Builder(document, namespace)
    action_xml = []
    names = []
    for name, path in actions:
        op = _operation(document, path)
        lines = [f"<Action Name={quoteattr(name)} IsBound=\"false\">"]
        body = _json_schema(op.get("requestBody", {}).get("content"))
        if body is not None:
            resolved, ref_name = b.resolve(body)
            lines += [f"  {p}" for p in b.members(resolved, "Parameter", ref_name or resolved.get("title") or name)]
        ok = next((r for s, r in sorted(op["responses"].items(), key=lambda sr: str(sr[0])) if str(s).startswith("2")), None)
        answer = _json_schema(ok.get("content")) if ok else None
        if answer is not None:
            edm, _ = b.edm(answer, name[:1].upper() + name[1:] + "Response")
            lines.append(f"  <ReturnType Type={quoteattr(edm)} Nullable=\"false\"/>")
        lines.append("</Action>")
        action_xml += lines
        names.append(name)
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
           "<edmx:DataServices>",
           f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace={quoteattr(namespace)}>']
    for type_name in sorted(b.types):
        open_ = ' OpenType="true"' if type_name == OPEN_OBJECT else ""
        out.append(f"<ComplexType Name={quoteattr(type_name)}{open_}>")
        out += [f"  {p}" for p in b.types[type_name]]
        out.append("</ComplexType>")
    out += action_xml
    out.append(f"<EntityContainer Name={quoteattr(container)}>")
    out += [f"  <ActionImport Name={quoteattr(n)} Action={quoteattr(f'{namespace}.{n}')}/>" for n in names]
    out += ["</EntityContainer>", "</Schema>", "</edmx:DataServices>", "</edmx:Edmx>", ""]
    return "\n".join(out)
