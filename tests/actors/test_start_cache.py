"""A worker's first set of a tenant comes from the promotion cache when the store holds exactly
what was validated before (actors.reloader.build_start_set); any change to the documents, the
coupon types or the version validates again, and a damaged entry is ignored."""
from __future__ import annotations

import orjson
import pytest

import actors.reloader as reloader_module
from actors.engine import open_engine
from actors.reloader import (
    MIN_CACHED,
    build_start_set,
    build_tenant_set,
    cache_entry,
    open_reloader,
    without_documents,
)
from actors.store import open_store
from dre.promotion.cache import PromotionCache

TENANT = "acme"


def document(i: int, amount_off: float = 1.0) -> str:
    return orjson.dumps({"id": f"P{i:05d}", "name": f"p{i}", "type": "ARTICLE", "priority": i % 7,
                         "actions": [{"type": "ARTICLE", "values": [f"A{i % 50}"], "amountOff": amount_off}]}).decode()


DOCUMENTS = {f"P{i:05d}": document(i) for i in range(MIN_CACHED + 5)}
TYPES = [{"id": "G", "promotionIds": ["P00003"]}]


def no_parsing(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("parsed: not from the cache")

    monkeypatch.setattr(reloader_module, "parse_promotion", refuse)


def cached(cache: PromotionCache, documents=DOCUMENTS, types=TYPES, version: int = 3):
    start = build_start_set(documents, types, version, 1, None, cache, TENANT)
    if start.to_cache is not None:
        kind, key, promotions = start.to_cache
        cache.put(kind, key, cache_entry(promotions))
    return start


def same_set(a, b) -> bool:
    return [p.id for p in a.ranked] == [p.id for p in b.ranked] and a.by_id == b.by_id and a.version == b.version


def test_the_second_start_takes_the_validated_set_from_the_cache(tmp_path, monkeypatch):
    cache = PromotionCache(tmp_path)
    first = cached(cache)
    assert first.to_cache is not None  # validated, to be written
    no_parsing(monkeypatch)
    second = build_start_set(DOCUMENTS, TYPES, 3, 1, None, cache, TENANT)
    assert second.to_cache is None
    assert same_set(second.pset, first.pset)
    assert second.pset.by_id["P00003"].coupon_types == frozenset({"G"})  # gated as stored


@pytest.mark.parametrize("change", ["document", "added", "removed", "types", "version"])
def test_a_changed_store_is_validated_again(tmp_path, change):
    cache = PromotionCache(tmp_path)
    cached(cache)
    documents, types, version = dict(DOCUMENTS), TYPES, 3
    if change == "document":
        documents["P00010"] = document(10, amount_off=2.5)
    elif change == "added":
        documents["P99999"] = document(99999)
    elif change == "removed":
        del documents["P00010"]
    elif change == "types":
        types = [{"id": "G", "promotionIds": ["P00004"]}]
    else:
        version = 4
    again = build_start_set(documents, types, version, 1, None, cache, TENANT)
    assert again.to_cache is not None
    assert same_set(again.pset, build_tenant_set(documents, types, version, 1))


def test_another_code_version_is_validated_again(tmp_path):
    cached(PromotionCache(tmp_path, code="release 1"))
    again = build_start_set(DOCUMENTS, TYPES, 3, 1, None, PromotionCache(tmp_path, code="release 2"), TENANT)
    assert again.to_cache is not None


def test_a_corrupted_entry_is_validated_again(tmp_path):
    cache = PromotionCache(tmp_path)
    cached(cache)
    (entry,) = tmp_path.glob("set.*")
    entry.write_bytes(entry.read_bytes()[:-1000])
    again = build_start_set(DOCUMENTS, TYPES, 3, 1, None, cache, TENANT)
    assert again.to_cache is not None
    assert same_set(again.pset, build_tenant_set(DOCUMENTS, TYPES, 3, 1))


def test_a_small_set_is_not_cached(tmp_path):
    small = dict(list(DOCUMENTS.items())[:10])
    assert build_start_set(small, [], 1, 1, None, PromotionCache(tmp_path), TENANT).to_cache is None


async def test_a_restarted_reloader_loads_the_store_from_the_cache(redis_url, tmp_path, monkeypatch):
    cache = PromotionCache(tmp_path)
    async with open_store(redis_url) as store:
        assert not await store.promotions.written(TENANT)
        await store.promotions.seed(TENANT, DOCUMENTS)
        assert await store.promotions.written(TENANT)
        async with open_engine(shards=1, warm_up=False) as engine, \
                open_reloader(store, engine, [TENANT], poll_s=0.02, cache=cache):
            first = engine.current(TENANT)  # and stopped at once: the write is finished first
        assert list(tmp_path.glob("set.*"))
        no_parsing(monkeypatch)
        async with open_engine(shards=1, warm_up=False) as engine, \
                open_reloader(store, engine, [TENANT], poll_s=0.02, cache=cache):
            assert same_set(engine.current(TENANT), first)


def test_while_the_kernels_compile_a_hit_is_loaded_packed(tmp_path, monkeypatch):
    from actors import kernel_warmup
    from dre.evaluate import IndexedReferenceSet
    from dre.promotion.packed import GROUP, PackedPromotions

    monkeypatch.setattr(kernel_warmup.status, "state", kernel_warmup.COMPILING)  # a service's start
    cache = PromotionCache(tmp_path)
    first = cached(cache)
    no_parsing(monkeypatch)
    second = build_start_set(DOCUMENTS, TYPES, 3, 1, None, cache, TENANT)
    assert second.to_cache is None and isinstance(second.pset, IndexedReferenceSet)
    assert isinstance(second.pset.ranked, PackedPromotions)
    assert second.pset.ranked.unread() == -(-len(DOCUMENTS) // GROUP)  # nothing made before a basket reads it
    assert same_set(second.pset, first.pset)
    assert second.pset.by_id["P00003"].coupon_types == frozenset({"G"})


def test_an_entry_of_the_earlier_format_is_validated_again(tmp_path):
    cache = PromotionCache(tmp_path)
    first = cached(cache)
    (entry,) = tmp_path.glob("set.*")
    kind, key = entry.name.removesuffix(".pickle").split("-", 1)
    cache.put(kind, key, without_documents(first.pset.ranked))  # a list: what the release before wrote
    again = build_start_set(DOCUMENTS, TYPES, 3, 1, None, cache, TENANT)
    assert again.to_cache is not None
    assert same_set(again.pset, first.pset)


async def test_the_compiled_upgrade_of_a_packed_set_leaves_its_promotions_out_of_the_collectors_reach(
        tmp_path, monkeypatch):
    import gc

    from actors import engine as engine_module

    frozen = []
    monkeypatch.setattr(engine_module.gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(engine_module, "build_promotion_set", lambda promotions, version, n: list(promotions))
    made = engine_module._build_frozen(build_tenant_set(DOCUMENTS, TYPES, 3, 1).ranked, 3, 1)
    assert len(made) == len(DOCUMENTS) and frozen == [True] and gc.isenabled()
