"""The day's budgets and coupon codes as confirms taken in arrival order leave them: confirm.lua's
verdicts foretold, and what a lane's evaluate knows of them when it prices.

Why foretell: the replay sends thousands of confirms at once (pipelines, batches), and the order
Redis takes concurrent confirms in is not the replay's to choose. Where a budget runs out, that
order decides who gets the last money. So the replay judges each slice here first, in arrival
order (confirm.lua's checks, in its order), and then sends the confirms this accepts before those
it refuses: the accepted ones fit their budgets together, in any order; each refused one was over
a budget at its own time, so it is still over it once every accepted one has landed. Redis stays
the judge - its verdicts are counted, and any that differs from this forecast is reported
(``storeDisagreements``) - and the report is the same run after run.

A "budget" here is a promotion's budget or a coupon code's redemption limit; budget ``j`` has an
amount limit (cents, -1: none) and a count limit (redemptions, -1: none).

What evaluate knows (api.services.budgets): the exhausted set and the money budgets' remainders as
read at most REFRESH_S ago. Modelled as: a basket arriving at ``t`` knows the confirms made before
the last whole refresh instant (``t - t % refresh``). It is priced without a budget it knows to be
used up or whose known remainder cannot pay its discount (never refused for it); a basket offered
a budget the confirms since have used up is refused at confirm and priced again without it, as
the lane's next evaluate would be. Coupon codes are checked live by evaluate: known at once.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

Use = tuple[int, int]  # (budget j, cents): what one confirm consumes of one budget (a code: 0 cents)
Uses = tuple[Use, ...]  # promotions in rank order, then the code: confirm.lua checks in this order


@dataclass
class Outcome:
    """One basket's way through its confirms: priced without ``left``; refused for ``refused``
    [(without-set it was priced with, budget j)]; accepted as priced without ``accepted`` (None:
    the lane gave up after too many refusals, or a pricing is still missing: ``need``)."""

    accepted: int | None = None
    refused: list[tuple[int, int]] = field(default_factory=list)
    left: int = 0
    need: int | None = None  # a without-set not priced yet


class Ledger:
    """Consumed amount and count per budget (numpy arrays; copy() for a forecast)."""

    def __init__(self, amount_limit: np.ndarray, count_limit: np.ndarray) -> None:
        self.alim = np.asarray(amount_limit, dtype=np.int64)
        self.rlim = np.asarray(count_limit, dtype=np.int64)
        self.amount = np.zeros(len(self.alim), dtype=np.int64)
        self.count = np.zeros(len(self.alim), dtype=np.int64)

    def copy(self) -> "Ledger":
        c = Ledger.__new__(Ledger)
        c.alim, c.rlim, c.amount, c.count = self.alim, self.rlim, self.amount.copy(), self.count.copy()
        return c

    def exhausted(self) -> np.ndarray:
        """bool [budgets]: used up (confirm.lua adds it to the exhausted set)."""
        return ((self.alim >= 0) & (self.amount >= self.alim)) | ((self.rlim >= 0) & (self.count >= self.rlim))

    def remainder(self) -> np.ndarray:
        """Cents left of each money budget (a huge number where there is no amount limit)."""
        return np.where(self.alim >= 0, self.alim - self.amount, np.iinfo(np.int64).max // 4)

    def over(self, amount_sum: np.ndarray, count_sum: np.ndarray) -> np.ndarray:
        """bool [budgets]: these further uses together would not fit."""
        return (((self.alim >= 0) & (self.amount + amount_sum > self.alim))
                | ((self.rlim >= 0) & (self.count + count_sum > self.rlim)))

    def add(self, j: np.ndarray, cents: np.ndarray) -> None:
        """Book uses (arrays of budget indices and cents)."""
        np.add.at(self.amount, j, cents)
        np.add.at(self.count, j, 1)

    def refusal(self, uses: Uses) -> int:
        """The budget confirm.lua would refuse ``uses`` for now (the first that does not fit), or -1."""
        for j, cents in uses:
            if (self.alim[j] >= 0 and self.amount[j] + cents > self.alim[j]) or \
                    (self.rlim[j] >= 0 and self.count[j] + 1 > self.rlim[j]):
                return j
        return -1

    def unknown_fit(self, uses: Uses, live_from: int) -> int:
        """Bitmask of the budgets of ``uses`` that a basket knowing this state is priced without:
        used up, or (money) a remainder smaller than its discount. Budgets ``j >= live_from`` (the
        coupon codes) are judged on ``live`` state by the caller, not here."""
        out = 0
        for j, cents in uses:
            if j >= live_from:
                continue
            a, r = self.alim[j], self.rlim[j]
            if (a >= 0 and (self.amount[j] >= a or cents > a - self.amount[j])) or (r >= 0 and self.count[j] >= r):
                out |= 1 << j
        return out

    def book(self, uses: Uses) -> None:
        for j, cents in uses:
            self.amount[j] += cents
            self.count[j] += 1


def judge(order: Sequence[int], times: np.ndarray, version: Callable[[int, int], Uses | None], start: Ledger,
          refresh_ms: int, live_from: int, max_refusals: int) -> dict[int, Outcome]:
    """Forecast the confirms of the baskets ``order`` (sorted by arrival time ``times`` in ms),
    each taken at its arrival, against ``start``. ``version(b, without)`` gives basket b's uses as
    priced without the budgets of bitmask ``without`` (None: not priced so; the outcome then names
    it in ``need`` and stops there). Budgets ``j >= live_from`` (coupon codes) are known live."""
    actual, known = start.copy(), start.copy()
    events: list[tuple[int, Uses]] = []  # accepted confirms, in time order
    seen = 0
    out: dict[int, Outcome] = {}
    for b in order:
        t = int(times[b])
        refreshed = t - t % refresh_ms
        while seen < len(events) and events[seen][0] < refreshed:
            known.book(events[seen][1])
            seen += 1
        o = out[b] = Outcome()
        without = 0
        while True:
            uses = version(b, without)
            if uses is None:
                o.need = without
                break
            left = known.unknown_fit(uses, live_from)
            for j, _ in uses:  # a used-up code: evaluate sees it at once
                if j >= live_from and actual.rlim[j] >= 0 and actual.count[j] >= actual.rlim[j]:
                    left |= 1 << j
            if left:
                o.left |= left
                without |= left
                continue
            j = actual.refusal(uses)
            if j >= 0:
                o.refused.append((without, j))
                if len(o.refused) > max_refusals:
                    break
                without |= 1 << j
                continue
            actual.book(uses)
            events.append((t, uses))
            o.accepted = without
            break
    return out
