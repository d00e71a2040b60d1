"""dre.clock: the one conversion of epoch times to ISO 8601, in the wire's three shapes."""
from __future__ import annotations

from dre.clock import iso_ms, iso_utc


def test_store_stamps_with_milliseconds():
    assert iso_ms(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"
    assert iso_ms("1700000000000") == "2023-11-14T22:13:20.000Z"
    assert iso_ms(None) is None and iso_ms("") is None


def test_store_stamps_auto():  # article import jobs, loyalty reward expiry
    assert iso_ms("1700000000000", "auto") == "2023-11-14T22:13:20Z"
    assert iso_ms(1_700_000_000_123, "auto") == "2023-11-14T22:13:20.123000Z"


def test_seconds():  # the heartbeat's lastSync
    assert iso_utc(1_700_000_000.5) == "2023-11-14T22:13:20.500000+00:00"
    assert iso_utc(1_700_000_000) == "2023-11-14T22:13:20+00:00"
