"""Points of a POS event: LOYALTY promotions only, on the bill's amounts, at transactionDateTime."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from api.loyalty import json_codec, xml_codec
from dre.evaluate import ReferenceSet, evaluate
from dre.loyalty import PosEvent, points_for, replay_key, to_basket
from tests.builders import promo
from tests.loyalty.helpers import EST, event, seed

EARN = promo("L1", type="LOYALTY", actions=[{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}])
DOUBLE_COFFEE = promo("L2", type="LOYALTY", actions=[{"type": "MULTIPLY_POINTS", "factor": 2, "values": ["COFFEE"]}])
BONUS = promo("L3", type="LOYALTY", actions=[{"type": "ADD_FIXED", "points": 50}])
PENALTY = promo("L4", type="LOYALTY", actions=[{"type": "SUBTRACT_POINTS", "points": 7}])
GROUPS = {"100": "COFFEE", "200": "TEA"}
BILL = [(100, 1000, 1050), (200, 2000, 500)]  # coffee 10.50, two teas 5.00 together (line totals)


def test_to_basket_maps_the_bill():
    e = event([(100, 2000, 1050), (200, 456, 137), (300, -1000, -250)])
    b = to_basket(e, "DE-NORTH", GROUPS)
    assert [(ln.ref, ln.article, ln.group, ln.milli, ln.gross, ln.unit_price) for ln in b.lines] == [
        ("0", "100", "COFFEE", 2000, 1050, 525), ("1", "200", "TEA", 456, 137, 300),
        ("2", "300", "", -1000, -250, 250)]
    assert (b.time, b.pos_group, b.channel, b.customer_id) == (e.transaction_time, "DE-NORTH", "IN_STORE", "M1")
    assert b.time.utcoffset() == e.transaction_time.utcoffset()  # local time kept for TIME windows


def test_currency_to_points_on_the_line_totals():
    assert points_for(event(BILL), [EARN]) == (15, {"L1": 15})  # 15.50 -> 15, rounded down


def test_every_points_action_together():
    total, by = points_for(event(BILL), [EARN, DOUBLE_COFFEE, BONUS, PENALTY], groups=GROUPS)
    assert by == {"L1": 15, "L2": 10, "L3": 50, "L4": -7}  # coffee's 10.50 earns 10 more
    assert total == 68


def test_multiply_points_needs_the_article_group_from_the_article_master():
    assert points_for(event(BILL), [EARN, DOUBLE_COFFEE]) == (15, {"L1": 15})


def test_only_loyalty_promotions_count():
    half_off = promo("D", type="ARTICLE", actions=[{"type": "ARTICLE", "values": ["100"], "percentOff": 50}])
    receipt_points = promo("R", type="RECEIPT", actions=[{"type": "ADD_FIXED", "points": 99}])
    # the discount would have cut coffee's net to 5.25 (10 points); the RECEIPT promotion's points are ignored
    assert points_for(event(BILL), [EARN, half_off, receipt_points]) == (15, {"L1": 15})


def test_a_promotion_set_is_filtered_too():
    half_off = promo("D", type="ARTICLE", actions=[{"type": "ARTICLE", "values": ["100"], "percentOff": 50}])
    assert points_for(event(BILL), ReferenceSet([half_off, EARN, BONUS], n_shards=2)) == (65, {"L1": 15, "L3": 50})


@pytest.mark.parametrize("window,points", [
    ({"validFrom": "2026-11-27T15:16:00Z"}, 0),  # starts a minute after the purchase (10:15 -05:00)
    ({"validTo": "2026-11-27T15:14:00Z"}, 0),  # ended a minute before
    ({"validFrom": "2026-11-27T15:15:00Z", "validTo": "2026-11-27T15:15:00Z"}, 15),  # bounds inclusive
    ({"validFrom": "2026-11-01T00:00:00Z", "validTo": "2026-11-30T00:00:00Z"}, 15),
])
def test_validity_is_judged_at_transaction_time(window, points):
    p = promo("L1", type="LOYALTY", actions=[{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}], **window)
    assert points_for(event(BILL), [p])[0] == points


def test_time_conditions_read_the_bills_local_time():
    morning = promo("L5", type="LOYALTY", actions=[{"type": "ADD_FIXED", "points": 5}],
                    conditions=[{"type": "TIME", "from": "10:00", "to": "11:00"}])
    assert points_for(event(BILL), [morning])[0] == 5  # 10:15 at -05:00, although 15:15 UTC
    late = event(BILL, when=datetime(2026, 11, 27, 15, 15, tzinfo=timezone.utc))
    assert points_for(late, [morning])[0] == 0


def test_customer_condition_matches_the_loyalty_number():
    vip = promo("L6", type="LOYALTY", actions=[{"type": "ADD_FIXED", "points": 9}],
                conditions=[{"type": "CUSTOMER", "values": ["M1"]}])
    assert points_for(event(BILL), [vip])[0] == 9
    assert points_for(event(BILL, loyalty_number="M2"), [vip])[0] == 0


def test_returns_take_points_back_and_the_breakdown_adds_up():
    e = event([(100, 1000, 1050), (200, 2000, 500), (200, -1000, -250)])
    total, by = points_for(e, [EARN, DOUBLE_COFFEE, BONUS], groups=GROUPS)
    # returned tea (2.50) takes back 2 earned points; the 50 bonus is per transaction: not taken back
    assert by == {"L1": 15 - 2, "L2": 10, "L3": 50}
    assert total == sum(by.values()) == evaluate([EARN, DOUBLE_COFFEE, BONUS], to_basket(e, "", GROUPS)).points


def test_a_pure_return_earns_negative_points():
    assert points_for(event([(100, -1000, -1050)]), [EARN]) == (-10, {"L1": -10})


def test_visit_without_lines_earns_only_fixed_points():
    assert points_for(event([]), [EARN, BONUS]) == (0, {})


def test_replay_key_is_member_check_and_business_date():
    e = event(BILL)
    assert replay_key(e) == '["M1",42,"2026-11-27"]'
    later = event(BILL, when=datetime(2026, 11, 27, 23, 0, tzinfo=EST), total=1550)
    assert replay_key(later) == replay_key(e)  # another time, same event
    assert replay_key(event(BILL, check_number=43)) != replay_key(e)
    assert replay_key(event(BILL, business_date=date(2026, 11, 28))) != replay_key(e)
    # no separator a loyalty number could forge
    assert replay_key(event(BILL, loyalty_number='M1",42,"x')) != replay_key(e)


def test_replay_key_is_the_same_from_json_and_xml_and_ignores_the_business_time_of_day():
    a = json_codec.parse_request(seed("request.json"))
    b = xml_codec.parse_request(seed("request.xml"))
    assert replay_key(a) == replay_key(b) == '["sample string 1",1,"2025-11-04"]'


def test_event_normalises_naive_times_to_utc_and_datetimes_to_dates():
    e = PosEvent("M1", 1, datetime(2026, 1, 2, 23, 59), datetime(2026, 1, 2, 12, 0), 0)
    assert e.business_date == date(2026, 1, 2)
    assert e.transaction_time.tzinfo == timezone.utc
