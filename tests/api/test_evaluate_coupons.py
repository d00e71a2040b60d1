"""api.evaluate.coupons (the store's verdict as CouponCheck) and the stacking rule it applies
(dre.pricing.coupons.apply_stacking, request order)."""
from __future__ import annotations

from api.evaluate.coupons import from_store
from dre.pricing import USABLE, CouponCheck
from dre.pricing.coupons import apply_stacking
from dre.store.records import CodeValidation


def check(code: str, stackable: bool = True, status: str = USABLE) -> CouponCheck:
    return CouponCheck(code, status, "T", stackable=stackable)


def verdicts(checks: dict) -> list[tuple[str, str, str | None]]:
    return [(c.code, c.status, c.reason) for c in apply_stacking(list(checks), checks).values()]


def test_a_non_stackable_code_is_never_combined_and_the_first_usable_code_stays():
    assert verdicts({"A": check("A"), "S": check("S", False), "B": check("B")}) == [
        ("A", USABLE, None), ("S", "NOT_APPLICABLE", "NOT_STACKABLE"), ("B", USABLE, None)]
    assert verdicts({"S": check("S", False), "A": check("A"), "T": check("T", False)}) == [
        ("S", USABLE, None), ("A", "NOT_APPLICABLE", "NOT_STACKABLE"), ("T", "NOT_APPLICABLE", "NOT_STACKABLE")]


def test_codes_that_are_not_usable_do_not_count_for_stacking():
    assert verdicts({"X": check("X", True, "EXPIRED"), "S": check("S", False)}) == [
        ("X", "EXPIRED", None), ("S", USABLE, None)]
    assert verdicts({"A": check("A"), "B": check("B")}) == [("A", USABLE, None), ("B", USABLE, None)]


def test_store_reasons_without_a_status_of_their_own_keep_their_reason():
    def rec(reason: str | None) -> CodeValidation:
        return CodeValidation("C", reason is None, "ACTIVE", reason, "T", (), None, None, stackable=False)

    assert from_store(rec(None)) == CouponCheck("C", USABLE, "T", stackable=False)
    assert from_store(rec("NOT_FOR_CUSTOMER")) == CouponCheck("C", "NOT_ACTIVE", "T", "NOT_FOR_CUSTOMER", False)
    assert from_store(rec("CANCELLED")) == CouponCheck("C", "NOT_ACTIVE", "T", "CANCELLED", False)
    assert from_store(rec("EXPIRED")) == CouponCheck("C", "EXPIRED", "T", None, False)
