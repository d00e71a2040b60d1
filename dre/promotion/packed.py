"""Promotions kept packed, one pickle each, and unpickled when first read.

A restart with 100,000 promotions spent ~1.4 s making ~1 million objects from the promotion cache
(dre.promotion.cache) before it could serve, though a basket reads only the few promotions its
articles name. :class:`PackedPromotions` is a sequence over one buffer of per-promotion pickles:
loading it is one bytes object and an offsets array; ``packed[i]`` unpickles promotion ``i`` the
first time it is read and keeps it. :class:`PackedById` is the matching id -> promotion mapping.

What it unpickles is what :meth:`PackedPromotions.pack` pickled in this code's own cache (the
cache's entries are keyed by the code version and checked by digest): the same values, equal to
the promotions packed.
"""
from __future__ import annotations

import pickle
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import overload

from dre.promotion.model import Promotion


class PackedPromotions(Sequence[Promotion]):
    """A read-only sequence of promotions unpickled on first read (module doc). Reads from several
    threads are safe: two racing reads of one promotion unpickle it twice (equal values)."""

    def __init__(self, blob: bytes, ends: array) -> None:
        if ends.typecode != "Q" or (ends[-1] if ends else 0) != len(blob):
            raise ValueError("offsets do not match the buffer")
        self._blob = memoryview(blob)
        self._ends = ends
        self._read: list[Promotion | None] = [None] * len(ends)

    @classmethod
    def pack(cls, promotions: Iterable[Promotion]) -> PackedPromotions:
        """``promotions`` (in their order) pickled one by one into one buffer."""
        parts, ends, end = [], array("Q"), 0
        for p in promotions:
            b = pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL)
            parts.append(b)
            end += len(b)
            ends.append(end)
        return cls(b"".join(parts), ends)

    def state(self) -> tuple[bytes, bytes]:
        """(buffer, offsets as bytes): what the cache keeps; ``from_state`` makes it again."""
        return bytes(self._blob), self._ends.tobytes()

    @classmethod
    def from_state(cls, blob: bytes, ends: bytes) -> PackedPromotions:
        offsets = array("Q")
        offsets.frombytes(ends)
        return cls(blob, offsets)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, i: int) -> Promotion: ...

    @overload
    def __getitem__(self, i: slice) -> list[Promotion]: ...

    def __getitem__(self, i: int | slice) -> Promotion | list[Promotion]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        p = self._read[i]
        if p is None:
            if i < 0:
                i += len(self)
            start = self._ends[i - 1] if i else 0
            p = self._read[i] = pickle.loads(self._blob[start:self._ends[i]])
        return p

    def __iter__(self) -> Iterator[Promotion]:
        for i in range(len(self)):
            yield self[i]


class PackedById(Mapping[str, Promotion]):
    """id -> promotion over a :class:`PackedPromotions` and its ids (in the same order)."""

    def __init__(self, packed: PackedPromotions, ids: Sequence[str]) -> None:
        if len(ids) != len(packed):
            raise ValueError("one id per promotion")
        self._packed = packed
        self._at = {pid: i for i, pid in enumerate(ids)}

    def __getitem__(self, pid: str) -> Promotion:
        return self._packed[self._at[pid]]

    def __contains__(self, pid: object) -> bool:
        return pid in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)
