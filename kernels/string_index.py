"""A vocabulary's strings as arrays: a basket's article and group ids in one compiled call.

Why not the vocabulary's dict: a set of 100,000 promotions interns some 200,000 strings, and a
dict that size lives in main memory, not in the cache. One lookup there is a chain of dependent
misses (index slot, entry, the key's characters, the id object), and a 30-line basket asks 60 of
them one after the other: 35-40 us at 100,000 promotions against 5-6 us at 100 on the 2-core
development machine. Here the keys are hashed, probed and compared inside one numba call: every
key's home row is prefetched before any is probed, so that the misses of the 60 lookups overlap
instead of following one another; a table row holds its string's first 16 bytes, so that a key
of up to 16 bytes (most article and group ids) is found or ruled out with that one row: 60 keys
in ~10 us at 100,000 promotions (bench.engine's baskets, right after another basket's evaluate;
~14 us with the rows probed as they were hashed). The answer is the dict's,
exactly: a hit is a key with the same UTF-8 bytes, never a hash match alone. Memory: 32 bytes a
table row, 2-4 rows a string (16 MB for 200,000 strings), plus their bytes.

Layout: ``chars`` the vocabulary's strings as UTF-8 (surrogates passed through) end to end,
string i at chars[off[i]:off[i + 1]]; ``table`` (S, 4) an open-addressing hash table (linear
probing, S a power of two >= 2V): rows (first 8 bytes, next 8 bytes, length, id) of a string,
bytes little-endian and zero-padded, id -1 free.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kernels.config import jit
from kernels.prefetch import prefetch

_SEP = "\0"  # joins a basket's keys; a key holding it is looked up in the dict instead
# Below this many strings the dict is the faster (it stays in the cache; a numba call costs a few
# us): measured equal at ~20,000 strings (10,000 promotions of bench.engine's realistic mix).
MIN_STRINGS = 16_384
_W0, _W1, _LEN, _ID = 0, 1, 2, 3  # table columns
_PREFIX = 16  # bytes of a string a row holds


def utf8(s: str) -> np.ndarray:
    """The UTF-8 bytes of ``s`` as uint8 (lone surrogates included, as JSON may carry them): equal
    bytes if and only if equal strings."""
    return np.frombuffer(s.encode("utf-8", "surrogatepass"), dtype=np.uint8)


@jit
def _hash(b: np.ndarray, lo: int, hi: int) -> np.int64:
    """64-bit FNV-1a of b[lo:hi] with a final mix (the table indexes by its low bits)."""
    h = np.uint64(14695981039346656037)
    for i in range(lo, hi):
        h = (h ^ np.uint64(b[i])) * np.uint64(1099511628211)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    return np.int64(h)


@jit
def _word(b: np.ndarray, lo: int, hi: int) -> np.int64:
    """b[lo:min(hi, lo + 8)] as a little-endian, zero-padded 64-bit word."""
    w = np.uint64(0)
    for i in range(min(hi - lo, 8)):
        w |= np.uint64(b[lo + i]) << np.uint64(8 * i)
    return np.int64(w)


@jit
def _build(chars: np.ndarray, off: np.ndarray, table: np.ndarray) -> None:
    mask = table.shape[0] - 1
    for i in range(off.shape[0] - 1):
        lo, hi = off[i], off[i + 1]
        j = _hash(chars, lo, hi) & mask
        while table[j, _ID] >= 0:
            j = (j + 1) & mask
        table[j, _W0] = _word(chars, lo, hi)
        table[j, _W1] = _word(chars, lo + 8, hi)
        table[j, _LEN] = hi - lo
        table[j, _ID] = i


@jit
def _find_all(table: np.ndarray, chars: np.ndarray, off: np.ndarray, q: np.ndarray, out: np.ndarray) -> None:
    """``out.flat[k]`` = id of the k-th NUL-separated key of q, -1 unknown (keys fill out's first
    rows, row by row).

    Two passes: the first hashes every key and prefetches its home row, keeping the row number in
    ``out``; the second probes. The home rows are random lines of a table of megabytes: probed as
    they were hashed, each key waited for its own miss (a fifth of encoding at 100,000 promotions);
    fetched up front, the misses of all keys overlap."""
    mask = table.shape[0] - 1
    n = out.shape[1]
    k = 0
    lo = 0
    for hi in range(q.shape[0] + 1):
        if hi < q.shape[0] and q[hi] != 0:
            continue
        j = _hash(q, lo, hi) & mask
        prefetch(table, j)
        out[k // n, k % n] = j
        k += 1
        lo = hi + 1
    k = 0
    lo = 0
    for hi in range(q.shape[0] + 1):
        if hi < q.shape[0] and q[hi] != 0:
            continue
        w0, w1, length = _word(q, lo, hi), _word(q, lo + 8, hi), hi - lo
        j = out[k // n, k % n]
        found = -1
        while table[j, _ID] >= 0:
            if table[j, _W0] == w0 and table[j, _W1] == w1 and table[j, _LEN] == length:
                i = table[j, _ID]
                s = off[i]  # a string longer than a row's prefix: the rest of its bytes
                t = _PREFIX
                while t < length and chars[s + t] == q[lo + t]:
                    t += 1
                if t >= length:
                    found = i
                    break
            j = (j + 1) & mask
        out[k // n, k % n] = found
        k += 1
        lo = hi + 1


class StringIndex:
    """The strings of ``ids`` (string -> id 0..V-1, as kernels.vocabulary.Vocabulary.ids), looked
    up many at a time; the same ids as ``ids.get(s, -1)``."""

    def __init__(self, ids: dict[str, int]) -> None:
        strings = sorted(ids, key=ids.__getitem__)
        if [ids[s] for s in strings] != list(range(len(strings))):
            raise ValueError("ids must number the strings 0..V-1")
        encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
        self.chars = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        off = np.zeros(len(strings) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=off[1:])
        size = 16
        while size < 2 * len(strings):
            size *= 2
        self.off = off
        self.table = np.full((size, 4), -1, dtype=np.int64)
        _build(self.chars, off, self.table)
        self.ids_into(["", ""], np.empty((2, 1), dtype=np.int64))  # compiled (or loaded) now, not at a first basket

    def ids_into(self, keys: Sequence[str], out: np.ndarray) -> bool:
        """Write the ids of ``keys`` (-1 unknown) into the first rows of ``out``, a C-contiguous
        (rows, n) int64 array, row by row (len(keys) a multiple of n, at most out.size). False,
        and nothing written, when a key holds a NUL character: the caller then asks the dict."""
        joined = _SEP.join(keys)
        if joined.count(_SEP) != len(keys) - 1:
            return False
        _find_all(self.table, self.chars, self.off, utf8(joined), out)
        return True


def string_index(ids: dict[str, int]) -> StringIndex | None:
    """A StringIndex of a vocabulary of at least MIN_STRINGS strings; None (ask the dict) below."""
    return StringIndex(ids) if len(ids) >= MIN_STRINGS else None
