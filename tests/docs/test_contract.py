"""docs/contract.md against the app's OpenAPI document: the wire contract cannot drift silently.

The contract's conventions (stated at its top):

* every served endpoint is a heading ``### METHOD /path`` (path parameter names are free);
* under it, ``Request fields:`` / ``Response fields:`` lines list backticked JSON field names of
  that operation's request schema / 2xx response schemas (at any depth);
* the "Not yet served" section writes endpoints as ```METHOD /path```; they must not exist.

The document is built in-process (the real app on services without a store), as
``GET /openapi.json`` serves it.
"""
from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
import trio

from api.app import create_app
from api.worker import open_services
from dre.config import load_config

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "contract.md"
METHODS = ("get", "post", "put", "patch", "delete")
ENDPOINT = rf"({'|'.join(m.upper() for m in METHODS)}) (/[^\s`]*)"
HEADING = re.compile(r"^(#+) (.*?)\s*$", re.M)
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
NOT_YET = "Not yet served"
FIELDS = {"Request fields:": "request", "Response fields:": "response"}
SELF_DESCRIBED = {("GET", "/openapi.json")}  # served, but the document does not list itself

Endpoint = tuple[str, str]  # (METHOD, path with parameters as {})


def normalise(method: str, path: str) -> Endpoint:
    return method.upper(), re.sub(r"\{[^}]*\}", "{}", path)


async def _fetch_openapi() -> dict:
    async with open_services(load_config({}), None, warm_up=False) as services:
        app = create_app(services)
        async with app.test_app() as test_app:
            r = await test_app.test_client().get("/openapi.json")  # public: no key
            assert r.status_code == 200
            return orjson.loads(await r.get_data())


@pytest.fixture(scope="module")
def openapi() -> dict:
    return trio.run(_fetch_openapi)


@pytest.fixture(scope="module")
def operations(openapi) -> dict[Endpoint, dict]:
    return {normalise(method, path): op for path, ops in openapi["paths"].items()
            for method, op in ops.items() if method in METHODS}


class Contract:
    """The served endpoints (heading -> its section's text) and the not-yet-served ones."""

    def __init__(self, text: str) -> None:
        text = FENCE.sub("", text)  # a '#' line inside an example is no heading
        heads = list(HEADING.finditer(text))
        self.served: dict[Endpoint, str] = {}
        self.duplicates: list[Endpoint] = []
        self.not_yet: set[Endpoint] = set()
        for i, head in enumerate(heads):
            level, title = len(head.group(1)), head.group(2)
            end = next((h.start() for h in heads[i + 1:] if len(h.group(1)) <= level), len(text))
            body = text[head.end():end]
            if title == NOT_YET:
                self.not_yet = {normalise(*m) for m in re.findall(rf"`{ENDPOINT}`", body)}
            elif m := re.fullmatch(ENDPOINT, title):
                key = normalise(*m.groups())
                if key in self.served:
                    self.duplicates.append(key)
                self.served[key] = body

    @staticmethod
    def fields(body: str) -> dict[str, set[str]]:
        """{"request" | "response": field names} of one endpoint's section."""
        out = {}
        for line in body.splitlines():
            for label, side in FIELDS.items():
                if line.startswith(label):
                    out[side] = set(re.findall(r"`(\w+)`", line))
        return out


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(CONTRACT.read_text(encoding="utf-8"))


def property_names(schema: object, components: dict, seen: set[str] | None = None) -> set[str]:
    """Every property name reachable from ``schema`` (through $ref, anyOf/oneOf, items, ...)."""
    seen = set() if seen is None else seen
    out: set[str] = set()
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            out |= property_names(components[ref.rsplit("/", 1)[1]], components, seen)
        if isinstance(schema.get("properties"), dict):
            out |= set(schema["properties"])
        for value in schema.values():
            out |= property_names(value, components, seen)
    elif isinstance(schema, list):
        for value in schema:
            out |= property_names(value, components, seen)
    return out


def schema_fields(op: dict, components: dict) -> dict[str, set[str]]:
    request = [c.get("schema") for c in op.get("requestBody", {}).get("content", {}).values()]
    response = [c.get("schema") for status, r in op.get("responses", {}).items() if status.startswith("2")
                for c in r.get("content", {}).values()]
    return {"request": property_names(request, components), "response": property_names(response, components)}


def test_served_endpoints_are_operations_of_the_openapi_document(contract, operations):
    assert not contract.duplicates, f"endpoints with two headings: {contract.duplicates}"
    assert SELF_DESCRIBED <= set(contract.served)  # and the fixture fetched it
    missing = sorted(set(contract.served) - set(operations) - SELF_DESCRIBED)
    assert not missing, f"docs/contract.md describes endpoints the service does not serve: {missing}"


def test_every_operation_of_the_openapi_document_is_in_the_contract(contract, operations):
    built = sorted(set(operations) & contract.not_yet)
    assert not built, f"served now: move them from 'Not yet served' into a served section: {built}"
    undocumented = sorted(set(operations) - set(contract.served))
    assert not undocumented, f"operations with no '### METHOD /path' heading in docs/contract.md: {undocumented}"


def test_the_not_yet_served_section_is_read():
    """The parser finds endpoints under the section (the real section may list none)."""
    sample = f"## {NOT_YET}\n\n- **X**: `POST /admin/x/{{id}}/y` and `GET /z` are missing.\n\n## Next\n`GET /w`\n"
    assert Contract(sample).not_yet == {("POST", "/admin/x/{}/y"), ("GET", "/z")}
    assert NOT_YET in {h.group(2) for h in HEADING.finditer(CONTRACT.read_text(encoding="utf-8"))}


def test_not_yet_served_endpoints_are_absent(contract, operations):
    assert not contract.not_yet & set(contract.served), "an endpoint is both served and not yet served"
    assert not contract.not_yet & (set(operations) | SELF_DESCRIBED)


def test_listed_fields_are_in_the_schemas(contract, operations, openapi):
    components = openapi["components"]["schemas"]
    problems = []
    for endpoint, body in sorted(contract.served.items()):
        if endpoint not in operations:
            continue  # SELF_DESCRIBED (a missing one fails above)
        listed, actual = Contract.fields(body), schema_fields(operations[endpoint], components)
        if not listed and (actual["request"] or actual["response"]):
            problems.append(f"{endpoint}: no 'Request fields:' / 'Response fields:' line")
        for side, names in listed.items():
            if not names:
                problems.append(f"{endpoint}: empty {side} field list")
            if unknown := sorted(names - actual[side]):
                problems.append(f"{endpoint}: not in the {side} schema: {unknown}")
    assert not problems, "\n".join(problems)


def test_readme_links_the_contract_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "[`docs/contract.md`](docs/contract.md)" in readme
    assert "../shared/CONTRACT.md" not in readme
