"""Choose which candidate promotions apply: stackables plus the best set of exclusive ones.

This reference chooser is deliberately exhaustive: it tries every set of exclusive promotions that
do not share lines and prices each choice in full. The kernels reach the same answer with an
exact decomposition (see docs/semantics.md); property tests hold them to it.
"""
from __future__ import annotations

from itertools import combinations

from dre.evaluate.actions import PartLine
from dre.evaluate.apply import apply, touched
from dre.promotion import model as m


def choose(ranked: list[m.Promotion], lines: list[PartLine]) -> list[m.Promotion]:
    """The promotions to apply, in rank order.

    Args:
        ranked: candidate promotions, already in application order (priority desc, id asc).
        lines: the part's lines.
    Returns:
        The chosen subset with the largest total saving; ties go to the set holding the
        best-ranked promotion that the other set lacks.
    """
    touch = {p.id: touched(p, lines) for p in ranked}
    contenders = [p for p in ranked if p.exclusive and touch[p.id]]
    best_key, best = None, ranked
    for k in range(len(contenders) + 1):
        for chosen in combinations(contenders, k):
            lines_taken: set[int] = set()
            clash = False
            for p in chosen:
                if lines_taken & touch[p.id]:
                    clash = True
                    break
                lines_taken |= touch[p.id]
            if clash:
                continue
            ids = {p.id for p in chosen}
            subset = [p for p in ranked
                      if p.id in ids or not ((p.exclusive and touch[p.id]) or touch[p.id] & lines_taken)]
            saving = sum(sum(a) for a in apply(subset, lines).values())
            member = {p.id for p in subset}
            key = (saving, tuple(p.id in member for p in ranked))
            if best_key is None or key > best_key:
                best_key, best = key, subset
    return best
