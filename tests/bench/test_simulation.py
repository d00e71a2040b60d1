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
    assert s["confirmsPerCall"] > 1  # the confirms of a slice go out together, many a script call
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


def _day_without_timings(s: dict) -> dict:
    return {k: v for k, v in s.items() if k not in ("wallSeconds", "pricingSeconds", "storeSeconds",
                                                     "basketsPerSecond", "storeRequestsPerPipeline")}


async def test_loyalty_promotions_show_their_awards(redis_url, tmp_path):
    # every basket: one line at 2.00, 1 point per 1.00 (and 1.00 off while the budget lasts)
    pts = {**TINY, "coupons": {"usageRate": 0.0, "codes": []}, "couponTypes": [],
           "promotions": [TINY["promotions"][0], {"id": "PTS", "name": "1 point per 1.00", "type": "LOYALTY",
                                                   "actions": [{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}]}]}
    day = await simulate(Scenario.model_validate(pts), tmp_path, redis_url, tmp_path / "out", show_progress=False)
    s = day.to_json()
    p = {x["promotionId"]: x for x in s["promotions"]}["PTS"]
    assert p["redemptions"] == 120 and p["loyaltyPoints"] == s["loyaltyPoints"] > 0
    assert ">PTS<" in (tmp_path / "out" / "index.html").read_text()


async def test_redemption_budgets_are_shown_and_burn_down(redis_url, tmp_path):
    red = {**TINY, "coupons": {"usageRate": 0.0, "codes": []}, "couponTypes": [],
           "promotions": [{**TINY["promotions"][0], "budget": {"redemptions": 30}}]}
    day = await simulate(Scenario.model_validate(red), tmp_path, redis_url, tmp_path / "out", show_progress=False)
    s = day.to_json()
    one = s["promotions"][0]
    assert one["redemptions"] == 30 and one["budgetExhaustedAt"] == "08:29" and one["refusedAtConfirm"] == 0
    t = day.promotions["ONE_OFF"]
    assert t.burn_limit == 30 and t.burn[0] == 1 and t.burn[-1] == 30
    assert "30 redemptions" in (tmp_path / "out" / "index.html").read_text()


async def test_a_return_only_basket_books_no_spend_and_no_redemption(redis_url, tmp_path):
    # every line a return of an article with a redemption-budgeted 50 % off: the discounts are
    # negative (given back); they use nothing of the budget and redeem nothing
    ret = {**TINY, "coupons": {"usageRate": 0.0, "codes": []}, "couponTypes": [],
           "baskets": {"linesMean": 1, "linesMax": 1, "weighedShare": 0, "returnShare": 1.0},
           "promotions": [{"id": "HALF", "name": "half price", "type": "ARTICLE", "budget": {"redemptions": 20},
                           "actions": [{"type": "ARTICLE", "values": ["A0000001"], "percentOff": 50}]}]}
    day = await simulate(Scenario.model_validate(ret), tmp_path, redis_url, tmp_path / "out", show_progress=False)
    s = day.to_json()
    half = s["promotions"][0]
    assert s["discount"] < 0 and s["confirms"] == 0
    assert half["spend"] == 0 and half["redemptions"] == 0 and half["budgetExhaustedAt"] is None
    assert min(day.promotions["HALF"].burn) == 0


async def test_budgets_are_exact_with_confirms_in_flight_and_the_day_is_the_same_twice(redis_url, tmp_path):
    # 3 x 100 lanes, 1.00 off with a 120.00 budget (used up in the first minute, some confirms
    # refused), 10 % off with a 150.00 one, and a 3-use code: the confirms of a slice are in flight
    # together; Redis's consumption is the forecast, and the budget to the cent where it runs out
    from actors.store import open_store
    from bench.simulation.plan import compile_rules
    from bench.simulation.replay import replay_day
    from bench.simulation.run import scenario_rules

    sc = Scenario.model_validate({
        **TINY, "seed": 5, "stores": 3, "lanesPerStore": 100, "openingHours": {"from": "08:00", "to": "08:10"},
        "arrivals": {"basketsPerLanePerHour": 60, "curve": [[8, 1], [10, 1]], "peak": None, "random": True},
        "catalogue": {"articles": 50, "groups": 1, "priceMin": 2.0, "priceMax": 100.0},
        "coupons": {"usageRate": 0.5, "codes": ["BF"]},
        "couponTypes": [{**TINY["couponTypes"][0], "maxRedemptions": 3}],
        "promotions": [{**TINY["promotions"][0], "budget": {"amount": 120.00}},
                       {"id": "PB", "name": "10 %", "type": "RECEIPT", "budget": {"amount": 150.00},
                        "actions": [{"type": "RECEIPT", "percentOff": 10}]}, TINY["promotions"][1]]})
    reports = []
    for run in range(2):
        promos, ctx, types = scenario_rules(sc, tmp_path)
        async with open_store(redis_url) as store:
            day = await replay_day(sc, compile_rules(promos, ctx), types, store, f"exact-{run}")
            used = {pid: await store.budgets.get(f"exact-{run}", pid) for pid in ("ONE_OFF", "PB")}
        s = day.to_json()
        p = {p["promotionId"]: p for p in s["promotions"]}
        assert s["storeDisagreements"] == 0 and s["confirms"] > 100 and s["couponRedemptions"] == 3
        assert used["ONE_OFF"].amount_consumed_cents == round(p["ONE_OFF"]["spend"] * 100) == 12_000
        assert p["ONE_OFF"]["redemptions"] == 120 and p["ONE_OFF"]["refusedAtConfirm"] > 0
        assert used["PB"].amount_consumed_cents == round(p["PB"]["spend"] * 100) <= 15_000
        reports.append(_day_without_timings(s))
    assert reports[0] == reports[1]
