"""A start with a large promotion file parses it once: the parent's check and the worker's load
share it (dre.promotion.rules_file.load_rules), and the reloader's first load takes the seeded
promotions as parsed (actors.reloader.build_tenant_set ``parsed``)."""
from __future__ import annotations

import os
from pathlib import Path

import orjson

from actors.reloader import build_tenant_set
from api.admin.seed import stored_documents
from dre.promotion.rules_file import load_rules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_load_rules_parses_an_unchanged_file_once(tmp_path):
    path = tmp_path / "promotions.json"
    path.write_bytes((EXAMPLES / "promotions.json").read_bytes())
    first = load_rules(path)
    assert load_rules(path) is first
    data = orjson.loads(path.read_bytes())
    data[0]["name"] = "renamed"
    path.write_bytes(orjson.dumps(data))
    os.utime(path, ns=(1, 1))  # another modification time whatever the clock's resolution
    promotions, _ = load_rules(path)
    assert promotions[0].name == "renamed"


def test_reloader_takes_parsed_promotions_and_parses_the_rest():
    promotions, _ = load_rules(EXAMPLES / "promotions.json")
    documents = stored_documents(promotions)
    parsed = {documents[p.id]: p for p in promotions[:2]}
    pset = build_tenant_set(documents, [], 7, 1, parsed)
    by_id = {p.id: p for p in pset.ranked}
    assert all(p.version == 7 for p in pset.ranked)
    assert by_id == {p.id: p for p in build_tenant_set(documents, [], 7, 1).ranked}  # the same set as parsing
    kept = build_tenant_set(documents, [], 1, 1, parsed)  # the seed's version: the very objects
    assert {p.id for p in kept.ranked if any(p is q for q in promotions[:2])} == {p.id for p in promotions[:2]}
