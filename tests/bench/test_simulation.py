"""The peak-day simulator on a tiny scenario whose results are checked by hand."""
import orjson
import trio

from bench.simulation.run import simulate
from bench.simulation.scenario import Scenario

# One lane, one basket a minute from 08:00 to 10:00 (120 baskets), one article at 2.00, one line each.
TINY = {
    "name": "tiny", "date": "2026-11-27", "seed": 7, "stores": 1, "lanesPerStore": 1,
    "openingHours": {"from": "08:00", "to": "10:00"},
    "arrivals": {"basketsPerLanePerHour": 60, "curve": [[8, 1], [10, 1]], "peak": None, "random": False},
    "baskets": {"linesMean": 1, "linesMax": 1, "weighedShare": 0, "returnShare": 0},
    "catalogue": {"articles": 1, "groups": 1, "priceMin": 2.0, "priceMax": 2.0},
    "promotions": [
        {"id": "ONE_OFF", "name": "1.00 off every basket", "type": "RECEIPT",
         "budget": {"amount": 50.00}, "actions": [{"type": "RECEIPT", "amountOff": 1.00}]},
        {"id": "BF_COUPON", "name": "0.50 with the BF code", "type": "COUPON",
         "actions": [{"type": "RECEIPT", "amountOff": 0.50}]},
    ],
    "couponTypes": [{"id": "BF", "type": "GENERIC", "code": "BF", "maxRedemptions": 10, "promotionIds": ["BF_COUPON"]}],
    "coupons": {"usageRate": 1.0, "codes": ["BF"]},
}


async def test_budget_runs_out_at_the_hand_computed_minute(redis_url, tmp_path):
    day = await simulate(Scenario.model_validate(TINY), tmp_path, redis_url, tmp_path / "out", show_progress=False)
    s = day.to_json()
    promos = {p["promotionId"]: p for p in s["promotions"]}
    assert s["baskets"] == 120 and s["lines"] == 120
    # baskets at 08:00 .. 08:49 get 1.00 each: the 50th (08:49) uses up the 50.00
    assert promos["ONE_OFF"]["spend"] == 50.0 and promos["ONE_OFF"]["redemptions"] == 50
    assert promos["ONE_OFF"]["budgetExhaustedAt"] == "08:49" and promos["ONE_OFF"]["refusedAtConfirm"] == 0
    # the code may be used 10 times; evaluate checks codes live, so the 11th basket is priced
    # without it (never refused at confirm)
    assert s["couponRedemptions"] == 10 and s["couponRefusals"] == 0 and s["storeDisagreements"] == 0
    assert promos["BF_COUPON"]["spend"] == 5.0
    assert s["discount"] == 55.0 and s["unconfirmedBaskets"] == 0
    assert s["spendByHour"] == {"08": 55.0, "09": 0.0}
    # every basket saved something until 08:49, nothing after
    dist = {(b["from"], b["to"]): b["baskets"] for b in s["savingsDistribution"]}
    assert dist[(0.0, 0.01)] == 70 and dist[(1.0, 2.0)] == 50
    saved = orjson.loads((tmp_path / "out" / "summary.json").read_bytes())
    assert saved["promotions"][0]["promotionId"] == "ONE_OFF"
    assert (tmp_path / "out" / "index.html").exists() and (tmp_path / "out" / "burn_down.png").exists()


async def test_evaluate_knows_what_was_confirmed_before_its_last_refresh(redis_url, tmp_path):
    # 30 lanes in one store: a basket every 2 s. The 50th 1.00 (08:01:38) uses up the 50.00; the
    # baskets after it know it (evaluate's knowledge is refreshed every second), so they are priced
    # without it and none is refused at confirm (the slice-wise knowledge refused all 10).
    many = {**TINY, "lanesPerStore": 30, "coupons": {"usageRate": 0.0, "codes": []}}
    day = await simulate(Scenario.model_validate(many), tmp_path, redis_url, tmp_path / "out", show_progress=False)
    s = day.to_json()
    promos = {p["promotionId"]: p for p in s["promotions"]}
    assert s["baskets"] == 3600 and s["storeDisagreements"] == 0
    assert promos["ONE_OFF"]["spend"] == 50.0 and promos["ONE_OFF"]["redemptions"] == 50
    assert promos["ONE_OFF"]["budgetExhaustedAt"] == "08:01"  # 30 at 08:00, the last 20 at 08:01
    assert promos["ONE_OFF"]["refusedAtConfirm"] == 0 and promos["ONE_OFF"]["leftOutForBudget"] == 10


async def test_confirms_within_a_refresh_are_refused_and_repriced(redis_url, tmp_path):
    # 300 lanes: a basket every 0.2 s. A 49.50 budget: at 08:00:09 evaluate knows 45 confirms
    # (4.50 left), so the baskets of 09.0-09.8 s are all offered 1.00; four fit, the fifth is
    # refused at confirm and priced again without it; from 10.0 s on the 0.50 left is known.
    many = {**TINY, "stores": 3, "lanesPerStore": 100, "openingHours": {"from": "08:00", "to": "08:02"},
            "coupons": {"usageRate": 0.0, "codes": []}, "couponTypes": [],
            "promotions": [{**TINY["promotions"][0], "budget": {"amount": 49.50}}]}
    day = await simulate(Scenario.model_validate(many), tmp_path, redis_url, tmp_path / "out", show_progress=False)
    s = day.to_json()
    one = s["promotions"][0]
    assert s["baskets"] == 600 and s["unconfirmedBaskets"] == 0 and s["storeDisagreements"] == 0
    assert one["spend"] == 49.0 and one["redemptions"] == 49 and one["budgetExhaustedAt"] is None
    assert one["refusedAtConfirm"] == 1 and one["leftOutForBudget"] == 600 - 50


async def test_a_remainder_too_small_for_a_basket_is_left_out_not_refused(redis_url, tmp_path):
    # 10 % off, budget 120.00, 30 lanes with baskets of 2.00..100.00: the budget is nearly used up
    # within a few minutes. Without the remainders every later basket was still offered it and
    # refused at confirm (3,581 of 3,600 over two hours); now only baskets priced in the same slice
    # as the confirms that shrank the remainder can be refused.
    rem = {**TINY, "seed": 11, "lanesPerStore": 30, "openingHours": {"from": "08:00", "to": "08:30"},
           "catalogue": {"articles": 50, "groups": 1, "priceMin": 2.0, "priceMax": 100.0},
           "promotions": [{"id": "PB", "name": "10 % off, budget 120.00", "type": "RECEIPT",
                           "budget": {"amount": 120.00}, "actions": [{"type": "RECEIPT", "percentOff": 10}]}],
           "couponTypes": [], "coupons": {"usageRate": 0.0, "codes": []}}
    day = await simulate(Scenario.model_validate(rem), tmp_path, redis_url, tmp_path / "out", show_progress=False)
    s = day.to_json()
    pb = s["promotions"][0]
    assert s["baskets"] == 900 and s["unconfirmedBaskets"] == 0
    assert pb["spend"] <= 120.0 and pb["refusedAtConfirm"] < 30  # one slice's lanes at most
    assert pb["leftOutForBudget"] > 800
    assert pb["leftOutForBudget"] + pb["redemptions"] + pb["refusedAtConfirm"] >= 900
