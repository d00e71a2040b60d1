"""Property: any valid event survives JSON and XML request bodies; any response survives both formats."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from api.loyalty import json_codec, xml_codec
from dre.loyalty import (BillLine, NativeDiscountResult, OperationResult, PosEvent, PosEventResponse, Reward, Staff,
                         StatusCode)

# XML 1.0 cannot carry control characters, and its parsers turn "\r" into "\n" (end-of-line
# normalisation), so texts are drawn without them; JSON would carry them, XML cannot.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
OPT_TEXT = st.none() | TEXT
INT32 = st.integers(-(2**31), 2**31 - 1)
OPT_BOOL = st.none() | st.booleans()
ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30)),
                         timezone(timedelta(hours=14))])
TIMES = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.none() | ZONES)


@st.composite
def bill_lines(draw) -> BillLine:
    milli = draw(st.integers(1, 10_000_000)) * draw(st.sampled_from([1, -1]))
    magnitude = draw(st.integers(0, min(10_000_000, abs(milli) * 100_000)))  # unit price <= 1,000,000.00
    return BillLine(draw(INT32), milli, magnitude if milli > 0 else -magnitude, draw(OPT_TEXT), draw(OPT_BOOL),
                    draw(OPT_BOOL), draw(OPT_BOOL), draw(OPT_TEXT), draw(st.none() | INT32), draw(OPT_TEXT))


STAFF = st.none() | st.builds(Staff, OPT_TEXT, OPT_TEXT)


@st.composite
def events(draw) -> PosEvent:
    lines = tuple(draw(st.lists(bill_lines(), max_size=5)))
    return PosEvent(
        loyalty_number=draw(TEXT.filter(str.strip)), check_number=draw(st.integers(0, 2**31 - 1)),
        business_date=draw(st.dates(date(1990, 1, 1), date(2100, 1, 1))), transaction_time=draw(TIMES),
        total=sum(ln.amount for ln in lines) + draw(st.integers(-1, 1)), lines=lines,
        native_discounts=tuple(draw(st.lists(TEXT, max_size=3))), tenant_id=draw(st.none() | INT32),
        business_date_time=draw(st.none() | TIMES), order_mode_id=draw(st.none() | INT32),
        server=draw(STAFF), manager=draw(STAFF))


def same(a: PosEvent, b: PosEvent) -> bool:
    """Equal, and every time in the same UTC offset (datetime equality alone compares instants)."""
    offsets = [(x.transaction_time.utcoffset(), x.business_date_time and x.business_date_time.utcoffset())
               for x in (a, b)]
    return a == b and offsets[0] == offsets[1]


@settings(max_examples=200, deadline=None)
@given(events())
def test_event_round_trips_through_json_and_xml_request_bodies(e):
    assert same(json_codec.parse_request(json_codec.render_request(e)), e)
    assert same(xml_codec.parse_request(xml_codec.render_request(e)), e)


RESULTS = st.builds(OperationResult, st.sampled_from(list(StatusCode)), OPT_TEXT, OPT_TEXT)
REWARDS = st.builds(Reward, INT32, OPT_TEXT, OPT_TEXT, OPT_TEXT, OPT_TEXT, OPT_TEXT, st.integers(-10**9, 10**9),
                    OPT_TEXT)
RESPONSES = st.builds(PosEventResponse, INT32, INT32, RESULTS, st.lists(REWARDS, max_size=3).map(tuple),
                      st.lists(st.builds(NativeDiscountResult, OPT_TEXT, RESULTS), max_size=3).map(tuple))


@settings(max_examples=200, deadline=None)
@given(RESPONSES)
def test_response_round_trips_through_json_and_xml(resp):
    assert json_codec.parse_response(json_codec.render_response(resp)) == resp
    assert xml_codec.parse_response(xml_codec.render_response(resp)) == resp
