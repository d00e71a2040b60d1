"""A kernel-priced Result's per-line discounts, made from the kernels' rows when first read.

Evaluate's answer and records read the rows themselves (kernels.answer_lines), so on the service's
path nothing reads ``Result.lines``; building its ~50 LineDiscount records anyway cost ~11 µs of a
basket's pricing at 10,000 promotions and ~25 µs at 100,000 (issue 18, goals 4 and 6). Whoever
does read them (the property tests' comparison with the reference evaluator, a linked return's
merge, ``dre evaluate``) gets exactly the tuple the finish step used to build.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from dre.pricing.result import LineDiscount

_new = tuple.__new__  # a LineDiscount without its generated __new__'s Python call (see promotion_set)


class LineDiscounts(Sequence):
    """Per request line, its LineDiscounts in application order, as a tuple of tuples: equal to,
    hashed and pickled as that tuple (Result's equality and hash compare it with the reference's
    plain tuples), made on first use from ``disc`` (rows: line, promotion rank, cents, code index)."""

    __slots__ = ("_disc", "_ids", "_codes", "_n", "_made")

    def __init__(self, disc: np.ndarray, ids: Sequence[str], codes: Sequence[str], n_lines: int) -> None:
        self._disc, self._ids, self._codes, self._n = disc, ids, codes, n_lines
        self._made: tuple[tuple[LineDiscount, ...], ...] | None = None

    def as_tuple(self) -> tuple[tuple[LineDiscount, ...], ...]:
        """The per-line discounts (made once; a race between threads makes the same tuple twice)."""
        made = self._made
        if made is None:
            ids, codes = self._ids, self._codes
            per_line: list[tuple[LineDiscount, ...]] = [()] * self._n
            last_p, pid = -1, ""
            for line, p, amount, c in self._disc.tolist():  # rows are in application order per line
                if p != last_p:  # a part's rows come promotion by promotion
                    last_p, pid = p, ids[p]
                per_line[line] += (_new(LineDiscount, (pid, amount, codes[c] if c >= 0 else None)),)
            made = self._made = tuple(per_line)
        return made

    @property
    def made(self) -> bool:
        """Whether something read them already (tests: the service's path does not)."""
        return self._made is not None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):  # noqa: ANN001, ANN204 - as tuple's (an index or a slice)
        return self.as_tuple()[i]

    def __iter__(self) -> Iterator[tuple[LineDiscount, ...]]:
        return iter(self.as_tuple())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LineDiscounts):
            return self.as_tuple() == other.as_tuple()
        if isinstance(other, tuple):
            return self.as_tuple() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.as_tuple())

    def __repr__(self) -> str:
        return repr(self.as_tuple())

    def __reduce__(self):  # noqa: ANN204 - pickled as the plain tuple it stands for
        return tuple, (self.as_tuple(),)
