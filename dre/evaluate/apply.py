"""Apply promotions to a part in order, stacking them: the discount step of the pipeline."""
from __future__ import annotations

from collections.abc import Sequence

from dre.evaluate.actions import ACTIONS, PartLine
from dre.promotion import model as m


def apply(promos: Sequence[m.Promotion], lines: list[PartLine]) -> dict[str, list[int]]:
    """Per-line amounts of each promotion, applied in the given order (already ranked).

    ADDITIVE promotions compute on the gross, MULTIPLICATIVE ones on what is left. Every amount is
    clamped to what is left of the line, so no line goes below 0. Returns {promotion id: amounts}.
    """
    n = len(lines)
    done = [0] * n
    out: dict[str, list[int]] = {}
    for p in promos:
        amounts = [0] * n
        for action in p.price_actions:
            basis = [d + a for d, a in zip(done, amounts)] if p.multiplicative else [0] * n
            raw = ACTIONS[type(action)](p, action, lines, basis)
            for i, r in enumerate(raw):
                amounts[i] += max(0, min(r, lines[i].gross - done[i] - amounts[i]))
        for i in range(n):
            done[i] += amounts[i]
        out[p.id] = amounts
    return out


def touched(p: m.Promotion, lines: list[PartLine]) -> frozenset[int]:
    """Lines the promotion discounts when evaluated alone on gross amounts."""
    return frozenset(i for i, a in enumerate(apply([p], lines)[p.id]) if a > 0)
