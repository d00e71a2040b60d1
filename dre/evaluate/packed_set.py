"""A start-up set kept packed in the promotion cache: loaded without making its promotions.

A worker's first set of a large tenant comes from the promotion cache (dre.promotion.cache,
actors.reloader.build_start_set). Stored as a list of promotions, a restart with 100,000 of them
unpickled ~1 million objects and rebuilt the article index (~2 s) before it could serve. Stored
by :func:`pack_set` instead, it loads as a few buffers: the promotions in application order, one
pickle each (dre.promotion.packed: each unpickled when a basket first reads it), their ids, the
article index (dre.evaluate.indexed.ArticleIndex) and the per-customer limits, which the
:class:`IndexedReferenceSet` that :func:`unpack_set` makes would otherwise walk every promotion for.
"""
from __future__ import annotations

from collections.abc import Sequence

from dre.evaluate.indexed import ArticleIndex, IndexedReferenceSet
from dre.promotion.model import Promotion, per_customer_limits
from dre.promotion.packed import PackedById, PackedPromotions

FORMAT = "packed-set-2"


def pack_set(promotions: Sequence[Promotion]) -> tuple:
    """What the cache keeps of the set of ``promotions`` (plain builtins: :func:`unpack_set`)."""
    ranked = sorted(promotions, key=lambda p: p.rank)  # as ReferenceSet orders them
    index = ArticleIndex.of(ranked)
    return (FORMAT, [p.id for p in ranked], *PackedPromotions.pack(ranked).state(),
            (index.by_article, index.by_group, index.by_pos_group, index.everywhere), per_customer_limits(ranked))


def unpack_set(entry: object, version: int, n_shards: int) -> IndexedReferenceSet | None:
    """The set :func:`pack_set` packed, or None when ``entry`` is not one (then: a miss)."""
    if not (isinstance(entry, tuple) and len(entry) == 8 and entry[0] == FORMAT):
        return None
    try:
        _, ids, blob, ends, n, group, (by_article, by_group, by_pos_group, everywhere), limits = entry
        ranked = PackedPromotions.from_state(blob, ends, n, group)
        by_id = PackedById(ranked, ids)
    except (TypeError, ValueError):
        return None
    return IndexedReferenceSet.prebuilt(ranked, by_id, ArticleIndex(by_article, by_group, by_pos_group, everywhere),
                                        limits, version, n_shards)
