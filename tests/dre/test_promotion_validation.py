"""Bad promotions are refused when written, with the path and reason of every problem."""
import pytest

from dre.errors import DREError
from dre.promotion import parse_promotion, parse_promotions

GOOD = {"id": "P1", "name": "x", "type": "ARTICLE", "actions": [{"type": "RECEIPT", "percentOff": 10}]}


def problems(data) -> dict[str, str]:
    with pytest.raises(DREError) as e:
        parse_promotion(data)
    assert e.value.status == 400 and e.value.code == "INVALID_INPUT"
    return {d.path: d.issue for d in e.value.details}


@pytest.mark.parametrize("patch,path,says", [
    ({"type": "FOO"}, "promotion.type", "Input should be"),
    ({"status": "ON"}, "promotion.status", "Input should be"),
    ({"actions": []}, "promotion.actions", "at least 1"),
    ({"actions": [{"type": "TELEPORT"}]}, "promotion.actions[0]", "TELEPORT"),
    ({"actions": [{"type": "RECEIPT", "percentOff": 10, "amountOff": 1}]}, "promotion.actions[0]", "exactly one"),
    ({"actions": [{"type": "RECEIPT", "percentOff": 120}]}, "promotion.actions[0].percentOff", "less than or equal"),
    ({"actions": [{"type": "RECEIPT", "amountOff": 1.234}]}, "promotion.actions[0].amountOff", "more than 2 decimals"),
    ({"actions": [{"type": "RECEIPT", "percentoff": 10}]}, "promotion.actions[0].percentoff", "Extra inputs"),
    ({"conditions": [{"type": "MIN_SPEND", "value": -1}]}, "promotion.conditions[0].value", "greater than or equal"),
    ({"conditions": [{"type": "TIME", "from": "25:00"}]}, "promotion.conditions[0].from", "pattern"),
    ({"rounding": {"mode": "BANKERS"}}, "promotion.rounding.mode", "Input should be"),
    ({"rounding": {"precision": 3}}, "promotion.rounding.precision", "less than or equal"),
    ({"validFrom": "2026-12-01T00:00:00Z", "validTo": "2026-11-01T00:00:00Z"}, "promotion", "validFrom"),
    ({"actions": [{"type": "FREE_ITEM", "mode": "INJECT"}]}, "promotion.actions[0].articleNumber", "Field required"),
    ({"actions": [{"type": "SCALED_RECEIPT", "tiers": [{"minSpend": 5, "percentOff": 5}, {"minSpend": 5, "percentOff": 6}]}]},
     "promotion.actions[0]", "distinct"),
    ({"id": ""}, "promotion.id", "at least 1"),
])
def test_each_bad_field_is_named(patch, path, says):
    found = problems({**GOOD, **patch})
    assert path in found, found
    assert says in found[path]


def test_a_set_reports_every_bad_promotion_and_duplicate_ids():
    with pytest.raises(DREError) as e:
        parse_promotions([GOOD, {**GOOD, "type": "X"}, GOOD])
    paths = [d.path for d in e.value.details]
    assert paths == ["promotions[1].type", "promotions[2].id"]
    assert "duplicate" in e.value.details[1].issue


def test_the_contract_example_parses():
    p = parse_promotion({
        "id": "P1", "name": "10 % off coffee, from 2", "type": "ARTICLE", "status": "ACTIVE",
        "validFrom": "2026-11-01T00:00:00Z", "validTo": "2026-12-31T23:59:59Z", "posGroups": ["DE-NORTH"],
        "priority": 10, "exclusive": False, "calculationMode": "ADDITIVE", "rounding": {"mode": "HALF_UP", "precision": 2},
        "budget": {"amount": 1000.00, "redemptions": 500, "perCustomerRedemptions": 1},
        "conditions": [{"type": "ARTICLE_GROUP", "values": ["COFFEE"]}, {"type": "MIN_QUANTITY", "value": 2}],
        "actions": [{"type": "ARTICLE_GROUP", "values": ["COFFEE"], "percentOff": 10}]})
    assert p.budget.amount == 100000 and p.budget.redemptions == 500 and p.min_quantity.milli == 2000
    assert p.price_actions[0].calc.value == 1000 and p.rank == (-10, "P1")
