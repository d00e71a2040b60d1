"""Building blocks of the peak-day simulation: arrivals, baskets, report files."""
import subprocess
import sys

import numpy as np
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.simulation.arrivals import rate_profile, slice_counts
from bench.simulation.baskets import draw_baskets
from bench.simulation.catalogue import make_catalogue
from bench.simulation.report import write_report
from bench.simulation.scenario import Scenario
from bench.simulation.summary import DaySummary, PromotionTotals
from dre.basket import line_gross


def scenario(**kw) -> Scenario:
    return Scenario.model_validate({"date": "2026-11-27", "promotions": [], **kw})


def test_arrivals_honour_the_daily_volume_and_peak():
    s = scenario(stores=100, lanesPerStore=10, arrivals={"basketsPerLanePerHour": 30, "peak": {"at": "17:00", "factor": 3}})
    minutes, rel = rate_profile(s)
    assert minutes[0] == 8 * 60 and minutes[-1] == 20 * 60 - 1
    assert abs(rel.mean() - 1) < 1e-9
    assert 16 * 60 <= minutes[int(np.argmax(rel))] <= 18 * 60
    starts, counts = slice_counts(s, np.random.default_rng(0))
    expected = 100 * 10 * 30 * 12  # lanes x per hour x hours
    assert abs(counts.sum() - expected) < 0.01 * expected
    assert len(starts) == 720 and starts[1] - starts[0] == 1


def test_slices_cover_the_day_with_a_shorter_last_slice():
    s = scenario(sliceMinutes=7, openingHours={"from": "09:00", "to": "10:00"})
    starts, _ = slice_counts(s, np.random.default_rng(0))
    assert list(starts) == [540 + 7 * i for i in range(9)]


def test_baskets_are_well_formed():
    s = scenario(baskets={"linesMean": 8, "linesMax": 20, "returnShare": 0.1, "weighedShare": 0.1},
                 coupons={"usageRate": 0.5, "codes": ["A", "B"]})
    cat = make_catalogue(s.catalogue, 3)
    b = draw_baskets(s, cat, np.random.default_rng(1), 500, 600)
    sizes = np.diff(b.offsets)
    assert len(b) == 500 and sizes.min() >= 1 and sizes.max() <= 20 and b.offsets[-1] == len(b.milli)
    assert (b.milli != 0).all() and (b.milli < 0).any() and (b.milli % 1000 != 0).any()
    assert all(line_gross(int(p), int(m)) == int(g) for p, m, g in zip(b.unit_price, b.milli, b.gross))
    assert set(np.unique(b.coupon)) == {-1, 0, 1}
    assert ((b.minute >= 600) & (b.minute < 601)).all()


@settings(max_examples=60, deadline=None)
@given(articles=st.integers(1, 3000), popularity=st.floats(0, 3), seed=st.integers(0, 2**32 - 1))
def test_popularity_draw_is_the_binary_search_of_the_cdf(articles, popularity, seed):
    # the guide table must find exactly what min(searchsorted(cdf, u), n - 1) finds, ties included:
    # the drawn baskets (and so every figure of a day's report) depend on it
    cat = make_catalogue(scenario(catalogue={"articles": articles, "popularity": popularity}).catalogue, seed)
    u = np.random.default_rng(seed).random(2000)
    u = np.concatenate([u, cat.cdf, np.nextafter(cat.cdf, 0), np.arange(64) / 64, [np.nextafter(1.0, 0)]])
    u = u[u < 1]
    expected = np.minimum(np.searchsorted(cat.cdf, u), articles - 1)
    got = cat.draw(_Fixed(u), len(u))
    assert got.tolist() == expected.tolist()


class _Fixed:
    """A Generator stand-in whose random() gives the values chosen."""

    def __init__(self, u: np.ndarray) -> None:
        self.u = u

    def random(self, n: int) -> np.ndarray:
        assert n == len(self.u)
        return self.u


FAULTS_AFTER_REUSE = """
import resource, sys
import numpy as np
from bench.simulation.allocator import keep_freed_memory
if sys.argv[1] == 'keep':
    assert keep_freed_memory()
def slice_():  # a slice's worth of large arrays, alive together, then freed
    arrays = [np.ones((3 << 20) // 8 + i * 1000) for i in range(6)]
    return sum(float(a[-1]) for a in arrays)
slice_()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    slice_()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_freed_memory_is_reused_not_faulted_in_again():
    # in a process of its own: the allocator setting is process-wide
    def faults(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", FAULTS_AFTER_REUSE, mode], capture_output=True, text=True, check=True)
        return int(out.stdout)
    default, kept = faults("default"), faults("keep")
    assert default > 20 * 700  # glibc as it is: every round's ~18 MB faulted in again
    assert kept < 700  # kept: the first round's memory reused


def test_report_files(tmp_path):
    day = DaySummary(slice_minutes=[480, 540], baskets=10, lines=30, gross=10_000, discount=1_000)
    day.promotions["P1"] = PromotionTotals("P1", "ten <off>", 5_000, None, spend=1_000, redemptions=4,
                                           exhausted_minute=545, burn=[400, 5_000])
    day.spend_by_hour = {8: 400, 9: 600}
    day.add_savings(np.array([0, 50, 150, 150, 99_999]))
    day.wall_seconds = 2.0
    page = write_report(day, tmp_path, "Black Friday")
    summary = orjson.loads((tmp_path / "summary.json").read_bytes())
    assert summary["promotions"][0]["budgetExhaustedAt"] == "09:05"
    assert sum(b["baskets"] for b in summary["savingsDistribution"]) == 5
    assert summary["savingsDistribution"][0] == {"from": 0.0, "to": 0.01, "baskets": 1}
    assert "ten &lt;off&gt;" in page.read_text() and summary["basketsPerSecond"] == 5
    for png in ("burn_down.png", "spend_per_hour.png", "savings.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_deterministic_arrivals_are_exact():
    s = scenario(stores=1, lanesPerStore=1, arrivals={"basketsPerLanePerHour": 60, "curve": [[8, 1], [20, 1]],
                                                      "peak": None, "random": False})
    starts, counts = slice_counts(s, np.random.default_rng(0))
    assert counts.tolist() == [1] * 720


def test_a_scaled_day_scales_stores_budgets_and_code_limits(tmp_path):
    from bench.simulation.run import scaled

    s = scenario(stores=2000, promotions=[{"id": "P", "budget": {"amount": 2_000_000.0, "redemptions": 20_000}}],
                 couponTypes=[{"id": "T", "type": "GENERIC", "code": "C", "maxRedemptions": 100_000}])
    small = scaled(s, tmp_path, 0.1)
    assert small.stores == 200 and small.promotions[0]["budget"] == {"amount": 200_000.0, "redemptions": 2_000}
    assert small.couponTypes[0]["maxRedemptions"] == 10_000 and scaled(s, tmp_path, 1) is s
