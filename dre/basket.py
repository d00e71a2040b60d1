"""The basket the engine prices: a validated evaluate request in integer units."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

import pydantic

from dre.errors import Issue, invalid
from dre.money import MILLI, MINOR_PER_MAJOR
from dre.wire.convert import validation_error
from dre.wire import evaluate_fast
from dre.wire.evaluate import EvaluateRequest, EvaluateRequestBody

MAX_BASKET_GROSS = 1_000_000_000  # cents (10,000,000.00): keeps the kernels' int64 products safe


@dataclass(frozen=True)
class Line:
    ref: str
    article: str
    group: str  # "" when neither the request nor the article master knows it
    milli: int  # quantity in thousandths; negative for a return
    unit_price: int  # cents
    gross: int  # cents: unit_price x quantity, HALF_UP
    ean: str | None = None
    original: tuple[str, str] | None = None  # a linked return: (originalTransactionId, originalLineId)


@dataclass(frozen=True)
class Basket:
    lines: tuple[Line, ...]
    time: datetime  # aware, in the store's local time (local_time): TIME conditions read its wall clock
    pos_group: str
    channel: str
    currency: str = "EUR"
    transaction_id: str | None = None
    store_id: str | None = None
    customer_id: str | None = None
    loyalty_card: str | None = None
    tier: str | None = None
    payment_means: str | None = None
    coupons: tuple[str, ...] = ()
    include_inactive: bool = False
    include_missed: bool = False


_new = object.__new__
_set = object.__setattr__


def _line(ref: str, article: str, group: str, milli: int, unit_price: int, gross: int, ean: str | None,
          original: tuple[str, str] | None) -> Line:
    """``Line(...)`` at half the cost (every request builds one per line): a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``; this sets the instance's dict once.
    Same object (eq, hash, replace, repr): tests/dre/test_request_validation.py compares them."""
    ln = _new(Line)
    _set(ln, "__dict__", {"ref": ref, "article": article, "group": group, "milli": milli, "unit_price": unit_price,
                          "gross": gross, "ean": ean, "original": original})
    return ln


_HALF = MILLI // 2  # a tie of thousandths, which HALF_UP rounds away from zero


def line_gross(unit_price: int, milli: int) -> int:
    """``unit_price x quantity`` in cents, HALF_UP (away from zero): ``round_ratio(unit_price *
    milli, MILLI)``, written out since every request computes it per line (half the cost of the
    call; tests/dre/test_money.py checks both agree)."""
    n = unit_price * milli
    return (n + _HALF) // MILLI if n >= 0 else -((_HALF - n) // MILLI)


def local_time(t: datetime, zone: tzinfo | None) -> datetime:
    """The evaluation instant as the store's clock reads it: the one place a timestamp meets the
    store's time zone (docs/semantics.md "Time").

    With a ``zone`` (the store's, or the tenant default): an aware ``t`` is converted to it (the
    same instant), a naive one is a wall-clock time there. Without: an aware ``t`` keeps its own
    offset, a naive one is taken as UTC.
    """
    if t.tzinfo is None:
        return t.replace(tzinfo=zone or timezone.utc)
    return t.astimezone(zone) if zone is not None else t


def basket_from_request(req: EvaluateRequest | evaluate_fast.EvaluateRequest, now: datetime | None = None,
                        groups: Mapping[str, str] | None = None, zone: tzinfo | None = None) -> Basket:
    """Integer-unit basket from a validated request (pydantic's model or the fast path's Structs:
    the same attributes).

    ``groups`` maps article numbers to article groups (the article master) for lines that carry
    no articleGroupId. ``now`` is the server clock, used when the header has no timestamp.
    ``zone`` is the store's time zone (None: none configured); see :func:`local_time`.
    Raises DREError 400 when the basket exceeds the engine's size limits.
    """
    lines = []
    total = 0
    for it in req.items:
        # Validation checked the decimals (dre.wire.types): the numbers are not parsed again. For
        # a float with at most 3 (2) decimals within the bounds, x * 1000 (x * 100) lies within
        # 1e-8 of the whole number, so round() gives exactly dre.money.to_milli (to_minor).
        milli = round(it.quantity * MILLI)
        price = round(it.unitPrice * MINOR_PER_MAJOR)
        gross = line_gross(price, milli)
        total += abs(gross)
        group = it.articleGroupId or (groups.get(it.articleNumber, "") if groups else "")
        orig_txn = it.originalTransactionId
        link = (orig_txn, it.originalLineId) if orig_txn and it.originalLineId else None
        lines.append(_line(it.lineReference, it.articleNumber, group, milli, price, gross, it.ean, link))
    if total > MAX_BASKET_GROSS:
        raise invalid("basket too large", [Issue("request.items", "sum of line amounts exceeds 10,000,000.00")])
    h = req.header
    t = local_time(h.timestamp or now or datetime.now(timezone.utc), zone)
    c = req.customer
    return Basket(
        lines=tuple(lines), time=t, pos_group=req.posGroupCode or req.posGroupId or "", channel=req.channel,
        currency=h.currency, transaction_id=h.transactionId, store_id=h.storeId,
        customer_id=c.customerId if c else None, loyalty_card=c.loyaltyCardNo if c else None,
        tier=c.loyalty.tier if c and c.loyalty else None,
        payment_means=req.paymentInfo.paymentMeans if req.paymentInfo else None,
        coupons=tuple(dict.fromkeys(cp.code for cp in req.coupons)),
        include_inactive=req.includeInactive, include_missed=req.includeMissedPromotions,
    )


def parse_evaluate_body(data: object, now: datetime | None = None, groups: Mapping[str, str] | None = None,
                        zone: tzinfo | None = None) -> tuple[EvaluateRequest, Basket]:
    """Validate a ``{"request": {...}}`` body. Raises DREError 400 with the failing paths."""
    try:
        body = EvaluateRequestBody.model_validate(data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc) from None
    return body.request, basket_from_request(body.request, now, groups, zone)
