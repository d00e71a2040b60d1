"""`dre evaluate --time-zone`: promotion authors test a happy hour offline on the store's clock."""
from __future__ import annotations

import orjson
import pytest

from cli.evaluate import evaluate_file
from dre.errors import DREError

HAPPY_HOUR = [{"id": "HH", "name": "happy hour", "type": "ARTICLE",
               "conditions": [{"type": "TIME", "from": "17:00", "to": "19:00"}],
               "actions": [{"type": "ARTICLE", "values": ["BEER"], "amountOff": 1.00}]}]


def request(timestamp: str) -> bytes:
    return orjson.dumps({"request": {"header": {"storeId": "BER1", "timestamp": timestamp}, "posGroupCode": "G",
                                     "items": [{"lineReference": "1", "articleNumber": "BEER", "quantity": 1,
                                                "unitPrice": 3.00}]}})


def test_the_time_zone_option_reads_the_timestamp_on_the_stores_clock(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_bytes(orjson.dumps(HAPPY_HOUR))
    july = request("2026-07-01T15:30:00Z")
    assert evaluate_file(rules, july)["totals"]["discount"] == 0  # 15:30 at its own offset
    assert evaluate_file(rules, july, "Europe/Berlin")["totals"]["discount"] == 1.0  # 17:30 in Berlin
    with pytest.raises(DREError) as err:
        evaluate_file(rules, july, "Mars/Olympus")
    assert err.value.status == 400 and "time zone" in err.value.message
