"""A disk cache of validated promotions, so that a restart does not validate 100,000 again.

Validating a promotion (pydantic, then the domain model) costs ~100 µs: ~10 s of CPU at 100,000
promotions, on every start. What was validated once is kept in the service's data directory
(``DRE_DATA_DIR/cache``) as a pickle, under a key that is a digest of everything the result
depends on:

- the input, exactly (the promotion file's bytes; the store's documents, coupon types and version),
- the code that validated it (:func:`code_version`: every source file of the ``dre`` package, the
  Python and pydantic versions),

so a changed file, a changed store or a new release never finds an entry: it validates again and
writes a new one. Each entry carries a digest of its own bytes: a truncated or corrupted file is
ignored (and logged), as is any entry that does not load. Writes are atomic (a temporary file
renamed), so workers starting together never read half an entry. One entry per ``kind`` is kept:
writing one removes the others of its kind.

The cache is the service's own: it trusts what it wrote (pickle) in its own data directory.
"""
from __future__ import annotations

import functools
import gc
import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pydantic

log = logging.getLogger("dre.cache")

MAGIC = b"DRE-PROMOTION-CACHE-2\n"
DIGEST_SIZE = 32
SUFFIX = ".pickle"
CHUNK = 2000  # list items per pickle (_dumps)
CODE_ROOT = Path(__file__).resolve().parents[1]  # the dre package


@functools.cache
def code_version(root: Path = CODE_ROOT) -> str:
    """A digest of the code that validates and models promotions: every ``.py`` under ``root``,
    with Python's and pydantic's versions (a release or an edit changes it)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{sys.version}\0{pydantic.VERSION}\0".encode())
    for f in sorted(root.rglob("*.py")):
        h.update(f"{f.relative_to(root).as_posix()}\0".encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic collector off while millions of long-lived objects are made (it would walk them
    all again and again: loading 100,000 promotions takes several times as long with it on)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _dumps(value: object) -> bytes:
    """``value`` pickled; a list in chunks of CHUNK items, each its own pickle: one pickle call
    holds the GIL from start to end, and this runs in a thread beside a serving event loop."""
    if not isinstance(value, list):
        return pickle.dumps((False, value), protocol=pickle.HIGHEST_PROTOCOL)
    chunks = [pickle.dumps(value[i:i + CHUNK], protocol=pickle.HIGHEST_PROTOCOL) for i in range(0, len(value), CHUNK)]
    return pickle.dumps((True, len(chunks)), protocol=pickle.HIGHEST_PROTOCOL) + b"".join(chunks)


def _loads(payload: memoryview) -> object:
    stream = io.BytesIO(payload)
    chunked, value = pickle.load(stream)
    if not chunked:
        return value
    out: list = []
    for _ in range(value):
        out.extend(pickle.load(stream))
    if stream.read(1):
        raise ValueError("trailing bytes")
    return out


class PromotionCache:
    """Validated promotions on disk, by a digest of their input and of the code (module doc)."""

    def __init__(self, directory: Path, code: str | None = None) -> None:
        self.directory = directory
        self.code = code if code is not None else code_version()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> PromotionCache:
        """The service's cache: ``cache/`` in its data directory (DRE_DATA_DIR)."""
        return cls(data_dir / "cache")

    def key(self, *parts: bytes) -> str:
        """The entry name of ``parts`` (the input, exactly) under this code version."""
        h = hashlib.blake2b(self.code.encode(), digest_size=20)
        for part in parts:
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
        return h.hexdigest()

    def path(self, kind: str, key: str) -> Path:
        return self.directory / f"{kind}-{key}{SUFFIX}"

    def get(self, kind: str, key: str) -> object | None:
        """The value stored under (kind, key), or None (absent, corrupted, or not loadable)."""
        path = self.path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        head = len(MAGIC) + DIGEST_SIZE
        if (len(data) < head or data[:len(MAGIC)] != MAGIC
                or hashlib.blake2b(memoryview(data)[head:], digest_size=DIGEST_SIZE).digest() != data[len(MAGIC):head]):
            log.warning("promotion cache entry corrupted: ignored", extra={"file": str(path)})
            return None
        try:
            with no_gc():
                return _loads(memoryview(data)[head:])
        except Exception as exc:  # noqa: BLE001 - an entry that does not load is a miss, never a failure
            log.warning("promotion cache entry not loadable: ignored", extra={"file": str(path), "error": repr(exc)})
            return None

    def put(self, kind: str, key: str, value: object) -> None:
        """Store ``value`` under (kind, key) and drop the kind's other entries. A failure to write
        (read-only or full disk) is logged: the cache only saves time."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            payload = _dumps(value)
            digest = hashlib.blake2b(payload, digest_size=DIGEST_SIZE).digest()
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{kind}-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(MAGIC + digest)
                    f.write(payload)
                os.replace(tmp, self.path(kind, key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            for old in self.directory.glob(f"{kind}-*{SUFFIX}"):
                other = old.name[len(kind) + 1:-len(SUFFIX)]
                if other != key and len(other) == len(key) and "-" not in other:  # not another kind's
                    old.unlink(missing_ok=True)
        except (OSError, pickle.PicklingError) as exc:
            log.warning("promotion cache entry not written", extra={"kind": kind, "error": repr(exc)})
