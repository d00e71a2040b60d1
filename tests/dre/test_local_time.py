"""dre.basket.local_time and dre.zones: where a request's timestamp meets the store's time zone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dre.basket import local_time
from dre.zones import StoreZones, is_zone_name, store_zones

BERLIN = ZoneInfo("Europe/Berlin")


def test_an_instant_is_read_in_the_stores_zone():
    t = local_time(datetime(2026, 7, 1, 15, 30, tzinfo=timezone.utc), BERLIN)
    assert (t.hour, t.minute, t.utcoffset()) == (17, 30, timedelta(hours=2))
    t = local_time(datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc), BERLIN)
    assert (t.hour, t.utcoffset()) == (17, timedelta(hours=1))


def test_without_a_zone_the_own_offset_and_naive_is_utc():
    own = datetime(2026, 7, 1, 17, 30, tzinfo=timezone(timedelta(hours=-4)))
    assert local_time(own, None) is own
    assert local_time(datetime(2026, 7, 1, 17, 30), None).tzinfo is timezone.utc


def test_a_time_without_offset_is_store_local():
    t = local_time(datetime(2026, 7, 1, 17, 30), BERLIN)
    assert t.hour == 17 and t.astimezone(timezone.utc).hour == 15


def test_zones_store_over_default_and_bad_documents_are_skipped():
    zones = store_zones({"B": '{"timeZone": "Europe/Berlin"}', "X": '{"timeZone": "Mars/Base"}',
                         "N": '{"timeZone": null}', "J": "not json"}, '{"timeZone": "Europe/Lisbon"}')
    assert zones.zone("B") == BERLIN
    assert zones.zone("X") == zones.zone("N") == zones.zone("J") == zones.zone(None) == ZoneInfo("Europe/Lisbon")
    assert StoreZones().zone("B") is None
    assert is_zone_name("UTC") and not is_zone_name("localtime") and not is_zone_name("../etc/passwd")
