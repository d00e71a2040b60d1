"""Promotions kept packed, a few to a pickle, and unpickled when first read.

A restart with 100,000 promotions spent ~1.4 s making ~1 million objects from the promotion cache
(dre.promotion.cache) before it could serve, though a basket reads only the few promotions its
articles name. :class:`PackedPromotions` is a sequence over one buffer of pickles of GROUP
promotions each: loading it is one bytes object and an offsets array; ``packed[i]`` unpickles the
group of promotion ``i`` the first time one of them is read and keeps it. (One promotion a pickle
made every pickle name its classes again: 2.5 times the bytes, and ten times the time to unpickle
them all, which the compiled set's build does: each class is looked up anew per pickle.)
:class:`PackedById` is the matching id -> promotion mapping.

What it unpickles is what :meth:`PackedPromotions.pack` pickled in this code's own cache (the
cache's entries are keyed by the code version and checked by digest): the same values, equal to
the promotions packed.
"""
from __future__ import annotations

import pickle
from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import overload

from dre.promotion.model import Promotion

GROUP = 32  # promotions a pickle: a basket's first read of one unpickles ~0.5 ms of them


class PackedPromotions(Sequence[Promotion]):
    """A read-only sequence of promotions unpickled on first read (module doc). Reads from several
    threads are safe: two racing reads of one group unpickle it twice (equal values)."""

    def __init__(self, blob: bytes, ends: array, n: int, group: int = GROUP) -> None:
        if (ends.typecode != "Q" or (ends[-1] if ends else 0) != len(blob) or group < 1
                or len(ends) != -(-n // group)):
            raise ValueError("offsets do not match the buffer")
        self._blob = memoryview(blob)
        self._ends = ends
        self._n = n
        self._group = group
        self._read: list[list[Promotion] | None] = [None] * len(ends)  # by group

    @classmethod
    def pack(cls, promotions: Sequence[Promotion], group: int | None = None) -> PackedPromotions:
        """``promotions`` (in their order) pickled ``group`` (GROUP) at a time into one buffer."""
        group = group or GROUP
        parts, ends, end = [], array("Q"), 0
        for start in range(0, len(promotions), group):
            b = pickle.dumps(list(promotions[start:start + group]), protocol=pickle.HIGHEST_PROTOCOL)
            parts.append(b)
            end += len(b)
            ends.append(end)
        return cls(b"".join(parts), ends, len(promotions), group)

    def state(self) -> tuple[bytes, bytes, int, int]:
        """(buffer, offsets as bytes, count, group): what the cache keeps (``from_state``)."""
        return bytes(self._blob), self._ends.tobytes(), self._n, self._group

    @classmethod
    def from_state(cls, blob: bytes, ends: bytes, n: int, group: int) -> PackedPromotions:
        offsets = array("Q")
        offsets.frombytes(ends)
        return cls(blob, offsets, n, group)

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> Promotion: ...

    @overload
    def __getitem__(self, i: slice) -> list[Promotion]: ...

    def __getitem__(self, i: int | slice) -> Promotion | list[Promotion]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError("promotion index out of range")
        g, k = divmod(i, self._group)
        got = self._read[g]
        if got is None:
            start = self._ends[g - 1] if g else 0
            got = self._read[g] = pickle.loads(self._blob[start:self._ends[g]])
            if len(got) != min(self._group, self._n - g * self._group):
                raise ValueError("a packed group of the wrong size")
        return got[k]

    def __iter__(self) -> Iterator[Promotion]:
        for i in range(self._n):
            yield self[i]

    def unread(self) -> int:
        """How many groups were not unpickled yet (tests: what a start leaves for later)."""
        return self._read.count(None)


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
