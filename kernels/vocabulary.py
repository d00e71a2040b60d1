"""Interning of the strings a promotion set mentions (articles, groups, channels, tiers, ...)."""
from __future__ import annotations

from collections.abc import Iterable


class Vocabulary:
    """String -> dense int id, one namespace per compiled set. Strings the set never mentions
    look up as -1, which no condition or action value matches."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def intern(self, s: str) -> int:
        i = self.ids.get(s)
        if i is None:
            i = self.ids[s] = len(self.ids)
        return i

    def intern_all(self, values: Iterable[str]) -> list[int]:
        return [self.intern(v) for v in values]

    def get(self, s: str | None) -> int:
        """Id of ``s``; -1 for None and for strings the set does not know."""
        return -1 if s is None else self.ids.get(s, -1)

    def __len__(self) -> int:
        return len(self.ids)
