"""What a reward says about its promotion: the seed's integer ``promotionId`` and ``promotionValue``.

The seed types ``Reward.promotionId`` as an integer (a .NET int: a client binds it to one) and
``promotionValue`` as a number. DRE's promotion ids are strings, so:

- promotionId: the id itself when it is a decimal number of at most 2,147,483,647 (Int32, no
  sign, no leading zeros: "42" -> 42); any other id gets a stable negative alias,
  −(1 + the first four bytes of SHA-256 of its UTF-8, as an unsigned integer, mod 2,147,483,647):
  the same id always gives the same number, and an alias never equals a numeric id. Such a
  reward also carries the id itself in ``promotionKey``, a field the seed does not have (clients
  that bind only the seed's fields ignore it); a reward whose promotionId is the id has exactly
  the seed's fields.
- promotionValue: the face value of the promotion's first action, in that action's own unit,
  which ``promotionPublicDescription`` states: an amount off or a price in major units ("2.00
  off", "for 5.00"), a percentage as a number of percent ("10% off" is 10.0), points as points
  ("100 points"); of a tiered action, its highest tier. 0 for a promotion that is no longer
  loaded.
"""
from __future__ import annotations

import hashlib

from dre.promotion.model import (AMT, FIX, PCT, BundleAction, Calc, GiftAction, PointsAction, Promotion,
                                 QuantityTierAction, ReceiptAction, ScaledReceiptAction, UnitAction)

INT32_MAX = 2**31 - 1


def promotion_number(pid: str) -> int:
    """The integer promotionId of promotion ``pid`` (see the module docstring)."""
    if pid.isascii() and pid.isdigit() and (pid == "0" or not pid.startswith("0")) and int(pid) <= INT32_MAX:
        return int(pid)
    digest = hashlib.sha256(pid.encode("utf-8", "surrogatepass")).digest()
    return -(1 + int.from_bytes(digest[:4], "big") % INT32_MAX)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _calc(calc: Calc) -> tuple[int, str]:
    """(value in hundredths, description) of a calculator: percent, amount off, fixed price."""
    if calc.kind == PCT:
        whole, frac = divmod(calc.value, 100)
        return calc.value, f"{whole}{f'.{frac:02d}'.rstrip('0') if frac else ''}% off"
    if calc.kind == AMT:
        return calc.value, f"{_money(calc.value)} off"
    if calc.kind == FIX:
        return calc.value, f"for {_money(calc.value)}"
    return 0, ""


def reward_value(promo: Promotion) -> tuple[int, str]:
    """(promotionValue in hundredths of its unit, the description that names the unit)."""
    for action in promo.price_actions:
        if isinstance(action, (UnitAction, ReceiptAction, BundleAction)):
            return _calc(action.calc)
        if isinstance(action, (ScaledReceiptAction, QuantityTierAction)) and action.tiers:
            return _calc(action.tiers[-1][1])
        if isinstance(action, GiftAction):
            return _calc(Calc(PCT, action.pct))
    for points in promo.points:
        if isinstance(points, PointsAction) and points.kind == "ADD_FIXED":
            return points.points * 100, f"{points.points} points"
    return 0, ""
