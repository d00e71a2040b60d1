"""Request bodies and the plan of one flow (what a lane sends for one basket), per the contract.

Planning is pure: :meth:`Planner.plan` turns an arrival number into a :class:`FlowPlan` from an
RNG seeded by (seed, arrival number), so the basket does not depend on task timing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone

from bench.catalogue import Catalogue, Line
from bench.config import Flow, LoadConfig

EVALUATE_PATH = "/pos/v2/evaluate"
ECHO_PATH = "/bench/echo"  # api.ops.echo_blueprint: mounted when the service has DRE_BENCH_ECHO
CONFIRM_PATH = "/pos/v2/confirm"
STORES = 50  # storeIds S001..S050
POS_GROUPS = ("DE-NORTH", "DE-SOUTH", "DE-WEST", "AT-ALL")
CHANNELS = (("IN_STORE", 0.85), ("ONLINE", 0.1), ("MOBILE", 0.05))  # (channel, share)
MAX_SCANS = 3  # evaluate→confirm: the lane evaluates 1..MAX_SCANS growing prefixes of the basket
CURRENCY = "EUR"


def line_json(ref: int, line: Line) -> dict:
    """One contract item (``lineReference`` is 1-based and unique within the basket)."""
    return {
        "lineReference": str(ref),
        "articleNumber": line.article.number,
        "quantity": line.quantity,
        "unitPrice": line.unit_price,
        "articleGroupId": line.article.group,
    }


@dataclass(frozen=True)
class FlowPlan:
    """What one arrival sends.

    Attributes:
        seq: arrival number.
        transaction_id: shared by every evaluate of the flow and its confirm.
        store_id, pos_group, channel: the lane's identity.
        lines: the full basket.
        scans: basket prefix length sent by each evaluate, increasing, the last is ``len(lines)``.
        coupon: code presented on the last evaluate, or None.
        confirm: whether the flow ends with a confirm.
    """

    seq: int
    transaction_id: str
    store_id: str
    pos_group: str
    channel: str
    lines: tuple[Line, ...]
    scans: tuple[int, ...]
    coupon: str | None
    confirm: bool

    def evaluate_body(self, scan: int, now: datetime | None = None) -> dict:
        """The ``{"request": ...}`` body of evaluate number ``scan`` (0-based).

        Args:
            scan: index into :attr:`scans`.
            now: header timestamp (default: the current time, as a lane would send).
        """
        stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
        request: dict = {
            "header": {
                "transactionId": self.transaction_id,
                "storeId": self.store_id,
                "currency": CURRENCY,
                "timestamp": stamp,
            },
            "posGroupCode": self.pos_group,
            "channel": self.channel,
            "items": [line_json(i + 1, ln) for i, ln in enumerate(self.lines[: self.scans[scan]])],
        }
        if self.coupon is not None and scan == len(self.scans) - 1:
            # Coupons are scanned at the end of the basket, so only the last evaluate carries one.
            request["coupons"] = [{"code": self.coupon}]
        return {"request": request}

    def confirm_body(self, counter: int) -> dict:
        """The confirm body for evaluate iteration ``counter``."""
        return {"request": {"header": {"transactionId": self.transaction_id, "transactionCounter": counter}}}


class Planner:
    """Turns arrival numbers into flow plans for one run.

    Args:
        config: the run's configuration (flow, seed, coupons).
        run_id: distinguishes this run's transaction ids from earlier runs against the same
            server, so a repeated seed never collides with an already confirmed transaction.
    """

    def __init__(self, config: LoadConfig, run_id: str) -> None:
        self.config = config
        self.run_id = run_id
        self.catalogue = Catalogue(config.catalogue_size, config.seed)
        self._channels = [c for c, _ in CHANNELS]
        self._weights = [w for _, w in CHANNELS]

    def plan(self, seq: int) -> FlowPlan:
        """The plan of arrival ``seq``; the same (seed, seq) always gives the same basket."""
        rng = random.Random(self.config.seed * 1_000_003 + seq)
        lines = self.catalogue.basket(rng)
        if self.config.flow is Flow.EVALUATE_CONFIRM:
            scans = self._scans(rng, len(lines))
        else:
            scans = (len(lines),)
        coupon = None
        if rng.random() < self.config.coupon_fraction:
            codes = self.config.coupon_codes
            coupon = rng.choice(codes) if codes else self.config.generic_coupon
        return FlowPlan(
            seq=seq,
            transaction_id=f"LT-{self.run_id}-{seq:08d}",
            store_id=f"S{rng.randrange(STORES) + 1:03d}",
            pos_group=rng.choice(POS_GROUPS),
            channel=rng.choices(self._channels, self._weights)[0],
            lines=lines,
            scans=scans,
            coupon=coupon,
            confirm=self.config.flow is Flow.EVALUATE_CONFIRM,
        )

    @staticmethod
    def _scans(rng: random.Random, n_lines: int) -> tuple[int, ...]:
        # Distinct increasing prefix lengths ending with the whole basket: a one-line basket
        # can only be evaluated once.
        k = rng.randint(1, min(MAX_SCANS, n_lines))
        cuts = sorted(rng.sample(range(1, n_lines), k - 1)) if k > 1 else []
        return (*cuts, n_lines)
