"""Write a simulated day's report: summary.json, PNG plots and an index.html that shows them."""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers or in CI
import matplotlib.pyplot as plt  # noqa: E402
import orjson  # noqa: E402

from bench.simulation.summary import DaySummary  # noqa: E402

MAX_BURN_LINES = 12  # more budget lines than this make the burn-down plot unreadable


def _hours(minutes: list[int]) -> list[float]:
    return [m / 60 for m in minutes]


def plot_burn_down(day: DaySummary, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(10, 5))
    budgeted = [t for t in day.promotions.values() if t.burn_limit]
    for t in sorted(budgeted, key=lambda t: -t.spend)[:MAX_BURN_LINES]:
        remaining = [100 * (1 - b / t.burn_limit) for b in t.burn]
        unit = "" if t.budget_amount is not None else " (redemptions)"
        ax.plot(_hours(day.slice_minutes[:len(remaining)]), remaining, label=f"{t.promotion_id}{unit}")
    ax.set_xlabel("hour of day")
    ax.set_ylabel("budget remaining (%)")
    ax.set_title("Budget burn-down")
    ax.set_ylim(-2, 102)
    if budgeted:
        ax.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_spend_per_hour(day: DaySummary, path: Path) -> None:
    fig, ax1 = plt.subplots(figsize=(10, 5))
    hours = sorted(day.spend_by_hour)
    ax1.bar(hours, [day.spend_by_hour[h] / 100 for h in hours], color="tab:orange", label="discount spend")
    ax1.set_xlabel("hour of day")
    ax1.set_ylabel("discount spend")
    ax2 = ax1.twinx()
    ax2.plot(hours, [day.baskets_by_hour.get(h, 0) for h in hours], color="tab:blue", marker="o", label="baskets")
    ax2.set_ylabel("baskets")
    ax1.set_title("Discount spend and baskets per hour")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_savings(day: DaySummary, path: Path) -> None:
    data = day.to_json()["savingsDistribution"]
    labels = [f"{d['from']:.2f}+" if d["to"] is None else f"{d['from']:.2f}–{d['to']:.2f}" for d in data]
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.bar(range(len(data)), [d["baskets"] for d in data])
    ax.set_xticks(range(len(data)), labels, rotation=30, ha="right")
    ax.set_ylabel("baskets")
    ax.set_title("Savings per basket")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def budget_text(p: dict) -> str:
    """A promotion's budget as the table shows it: money, redemptions, or both."""
    parts = []
    if p["budgetAmount"] is not None:
        parts.append(f"{p['budgetAmount']:,.2f}")
    if p["budgetRedemptions"] is not None:
        parts.append(f"{p['budgetRedemptions']:,} redemptions")
    return " / ".join(parts)


def _row(p: dict) -> str:
    cells = [html.escape(p["promotionId"]), html.escape(p["name"]), f"{p['spend']:.2f}", str(p["redemptions"]),
             f"{p['loyaltyPoints']:,}", budget_text(p), p["budgetExhaustedAt"] or "—", str(p["refusedAtConfirm"]),
             str(p["leftOutForBudget"])]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def write_report(day: DaySummary, out: Path, title: str) -> Path:
    """Write summary.json, burn_down.png, spend_per_hour.png, savings.png and index.html into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    summary = day.to_json()
    (out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    plot_burn_down(day, out / "burn_down.png")
    plot_spend_per_hour(day, out / "spend_per_hour.png")
    plot_savings(day, out / "savings.png")
    rows = "\n".join(_row(p) for p in summary["promotions"])
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}</style>
</head><body><h1>{html.escape(title)}</h1>
<p>{summary['baskets']:,} baskets ({summary['lines']:,} lines) priced in {summary['wallSeconds']} s
({summary['basketsPerSecond'] or 0:,} baskets/s). Gross {summary['gross']:,.2f}, discount {summary['discount']:,.2f},
{summary['couponRedemptions']:,} coupon redemptions, {summary['loyaltyPoints']:,} loyalty points.</p>
<h2>Promotions</h2><table><tr><th>id</th><th>name</th><th>spend</th><th>redemptions</th><th>points</th><th>budget</th>
<th>budget ran out at</th><th>refused at confirm</th><th>left out (remainder too small)</th></tr>{rows}</table>
<h2>Budget burn-down</h2><img src="burn_down.png" alt="budget burn-down">
<h2>Spend per hour</h2><img src="spend_per_hour.png" alt="spend per hour">
<h2>Savings distribution</h2><img src="savings.png" alt="savings per basket">
</body></html>"""
    (out / "index.html").write_text(page, encoding="utf-8")
    return out / "index.html"
