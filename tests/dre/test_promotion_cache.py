"""The disk cache of validated promotions (dre.promotion.cache): a hit gives what was stored; a
changed input, a changed code version or a damaged entry is a miss, never a stale or broken value."""
from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from dre.config import check_promotions
from dre.errors import DREError
from dre.promotion import rules_file
from dre.promotion.cache import CHUNK, PromotionCache, code_version
from dre.promotion.rules_file import VALIDATED, load_rules, validated_context

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_hit_returns_the_stored_value_and_a_changed_input_misses(tmp_path):
    cache = PromotionCache(tmp_path)
    cache.put("set", cache.key(b"documents v1"), ["promotions", 1])
    assert cache.get("set", cache.key(b"documents v1")) == ["promotions", 1]
    assert cache.get("set", cache.key(b"documents v2")) is None
    assert cache.get("set", cache.key(b"documents", b" v1")) is None  # the parts' boundaries count


def test_another_code_version_misses(tmp_path):
    PromotionCache(tmp_path, code="release 1").put("set", PromotionCache(tmp_path, code="release 1").key(b"x"), 1)
    again = PromotionCache(tmp_path, code="release 2")
    assert again.get("set", again.key(b"x")) is None


def test_code_version_follows_the_source(tmp_path):
    (tmp_path / "model.py").write_text("A = 1\n")
    before = code_version(tmp_path)
    (tmp_path / "model.py").write_text("A = 2\n")
    code_version.cache_clear()
    try:
        assert code_version(tmp_path) != before
    finally:
        code_version.cache_clear()


def test_a_corrupted_or_truncated_entry_is_ignored(tmp_path):
    cache = PromotionCache(tmp_path)
    key = cache.key(b"input")
    cache.put("set", key, list(range(1000)))
    path = cache.path("set", key)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # one flipped byte: the digest no longer matches
    path.write_bytes(bytes(data))
    assert cache.get("set", key) is None
    path.write_bytes(bytes(data[:100]))  # a write cut short
    assert cache.get("set", key) is None
    path.write_bytes(b"")
    assert cache.get("set", key) is None
    cache.put("set", key, [1, 2])  # written again over it
    assert cache.get("set", key) == [1, 2]


def test_a_new_entry_replaces_the_kinds_old_one_only(tmp_path):
    cache = PromotionCache(tmp_path)
    cache.put("set.a", cache.key(b"1"), 1)
    cache.put("set.b", cache.key(b"1"), 2)
    cache.put("set.a", cache.key(b"2"), 3)
    assert cache.get("set.a", cache.key(b"1")) is None
    assert cache.get("set.a", cache.key(b"2")) == 3
    assert cache.get("set.b", cache.key(b"1")) == 2
    assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir()) == ["set.a", "set.b"]


def test_an_unwritable_cache_only_costs_time(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the directory should be")
    cache = PromotionCache(blocker)
    cache.put("set", cache.key(b"x"), 1)  # logged, not raised
    assert cache.get("set", cache.key(b"x")) is None


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "promotions.json"
    path.write_bytes((EXAMPLES / "promotions.json").read_bytes())
    return path


def test_a_validated_file_is_not_validated_again(tmp_path, monkeypatch):
    path, cache = _file(tmp_path), PromotionCache(tmp_path / "cache")
    assert validated_context(path, cache) is None
    _, ctx = load_rules(path, cache)
    assert validated_context(path, cache) == ctx

    def no_parse(*_):
        raise AssertionError("validated again")

    monkeypatch.setattr(rules_file, "rules_from_json", no_parse)
    rules_file._LAST.clear()
    check_promotions(path, tmp_path)  # the service's check: a hit, nothing parsed


def test_a_changed_file_is_validated_again(tmp_path, monkeypatch):
    path, cache = _file(tmp_path), PromotionCache(tmp_path / "cache")
    load_rules(path, cache)
    data = orjson.loads(path.read_bytes())
    data[0]["name"] = "renamed"
    path.write_bytes(orjson.dumps(data))
    os.utime(path, ns=(1, 1))
    assert validated_context(path, cache) is None
    promotions, _ = load_rules(path, cache)
    assert promotions[0].name == "renamed"
    assert validated_context(path, cache) is not None
    assert len(list((tmp_path / "cache").glob(f"{VALIDATED}-*"))) == 1  # the old file's entry is gone


def test_a_file_that_fails_is_not_remembered(tmp_path):
    path, cache = tmp_path / "bad.json", PromotionCache(tmp_path / "cache")
    path.write_bytes(b'[{"id": "P1"}]')
    with pytest.raises(DREError):
        load_rules(path, cache)
    assert validated_context(path, cache) is None


def test_a_long_list_round_trips_in_chunks(tmp_path):
    cache = PromotionCache(tmp_path)
    value = [(i, f"P{i}") for i in range(CHUNK * 2 + 7)]  # two whole chunks and part of a third
    cache.put("set", cache.key(b"x"), value)
    assert cache.get("set", cache.key(b"x")) == value


def test_the_files_coupon_types_are_not_read_again_while_it_is_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "rules.json"
    promotions = orjson.loads((EXAMPLES / "promotions.json").read_bytes())
    types = [{"id": "CT1", "code": "SAVE5", "type": "GENERIC"}]
    path.write_bytes(orjson.dumps({"promotions": promotions, "couponTypes": types}))
    rules_file._LAST.clear()
    load_rules(path)

    def no_read(*_):
        raise AssertionError("read again")

    monkeypatch.setattr(rules_file, "read_rules_file", no_read)
    assert rules_file.raw_coupon_types(path) == types  # the parse's own: 31 MB are not parsed twice
    os.utime(path, ns=(1, 1))  # changed (as far as anyone can tell): read again
    with pytest.raises(AssertionError, match="read again"):
        rules_file.raw_coupon_types(path)
