"""Calculators: one line's base and a discount rule -> an amount. The one place money is rounded.

A unit discount is the exact rational ``num / den`` cents. Rounded modes round it per unit to the
promotion's step, then multiply by the discounted quantity; NONE multiplies first and rounds the
line amount once (HALF_UP to the cent).
"""
from __future__ import annotations

from dre.money import MILLI, round_ratio
from dre.promotion.model import AMT, FIX, PCT, Calc, Promotion

HALF_UP = 0
NONE = 3
PCT_DEN = 10_000  # percent in hundredths


def unit_base(unit_price: int, milli: int, done: int) -> tuple[int, int]:
    """The base unit price as ``(num, den)``: unit price minus the line's discount so far per unit."""
    return unit_price * milli - MILLI * done, milli


def unit_discount(calc: Calc, base: tuple[int, int]) -> tuple[int, int]:
    """Exact unit discount ``(num, den)`` of a PCT/AMT/FIX calculator on a base unit price."""
    num, den = base
    if calc.kind == PCT:
        return num * calc.value, den * PCT_DEN
    if calc.kind == AMT:
        return min(calc.value * den, num), den
    if calc.kind == FIX:
        return max(0, num - calc.value * den), den
    raise ValueError(f"unknown calculator {calc.kind}")


def line_amount(promo: Promotion, disc: tuple[int, int], milli: int) -> int:
    """Amount for ``milli`` thousandths of units at the exact unit discount ``disc``."""
    num, den = disc
    if promo.rounding_mode == NONE:
        return round_ratio(num * milli, den * MILLI, HALF_UP)
    unit = round_ratio(num, den, promo.rounding_mode, promo.rounding_step)
    return round_ratio(unit * milli, MILLI, HALF_UP)


def unit_value(base_line: int, milli: int) -> int:
    """A whole unit's value in cents (bundles): the line's base per unit, HALF_UP."""
    return round_ratio(base_line * MILLI, milli, HALF_UP)


def pooled_amount(promo: Promotion, calc: Calc, covered: int) -> int:
    """An amount covering several lines (RECEIPT, SCALED_RECEIPT, BUNDLE percent), rounded once."""
    if calc.kind == PCT:
        mode = HALF_UP if promo.rounding_mode == NONE else promo.rounding_mode
        step = 1 if promo.rounding_mode == NONE else promo.rounding_step
        return round_ratio(covered * calc.value, PCT_DEN, mode, step)
    if calc.kind == AMT:
        return min(calc.value, covered)
    raise ValueError(f"calculator {calc.kind} cannot cover several lines")
