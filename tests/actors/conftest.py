"""Fixtures of the actor tests: the example rules and basket."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from dre.basket import parse_evaluate_body
from dre.promotion.rules_file import load_rules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def rules():
    """(promotions, context) of examples/promotions.json."""
    return load_rules(EXAMPLES / "promotions.json")


@pytest.fixture
def basket():
    return parse_evaluate_body(orjson.loads((EXAMPLES / "request.json").read_bytes()))[1]
