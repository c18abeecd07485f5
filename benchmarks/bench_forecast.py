"""Rolling-origin backtest of the demand forecast on two real call-center series, against its baselines.

Series (30-minute intervals, read by `ops.staffing.backtest`'s readers):
- Anonymous Bank (Israel) 1999, 6-minute counts summed to 30 minutes, Asia/Jerusalem; 1999-05-23
  (imputed values) left out. Calendar: Israel's holidays from the `holidays` package.
- US bank 2003, 5-minute counts summed to 30 minutes, America/New_York; weekdays 07:00-21:00, six
  weekdays missing. Calendar: the US holidays on which this bank's series has no rows (New Year,
  Memorial Day, Independence Day, Labor Day, Thanksgiving, Christmas). The bank stays open on
  Columbus Day, full volume on 2003-10-13, so the full federal calendar would misdescribe it.

Windows: the last 8 weeks (the default of `run_backtest`), and every week that has at least 8 weeks
of history before it. Each origin's week is forecast from the history before it (one week ahead);
the last table forecasts each week from history that ends three weeks earlier (four weeks ahead).
Baselines in the same run: seasonal naive (same interval one week earlier, the latest earlier week
when that one is missing) and the median of the same interval over the last five weeks.

Run: uv run python benchmarks/bench_forecast.py --data-dir ../shared/data [--write]
"""

from __future__ import annotations

import argparse
import platform
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import holidays as holiday_calendars
import numpy as np
import pandas as pd

from ops.staffing.backtest import (
    FIVE_WEEK_MEDIAN,
    MODEL,
    SEASONAL_NAIVE,
    load_anonymous_bank_6min,
    load_us_bank_5min,
    run_backtest,
)

RESULTS = Path(__file__).parent / "results" / "forecast.md"
MIN_HISTORY_WEEKS = 8
GOAL = 0.10
US_BANK_CLOSED = {
    "New Year's Day",
    "Memorial Day",
    "Independence Day",
    "Labor Day",
    "Thanksgiving Day",
    "Christmas Day",
}


def israel_holidays() -> set[date]:
    return set(holiday_calendars.country_holidays("IL", years=1999))


def us_bank_holidays() -> set[date]:
    calendar = holiday_calendars.country_holidays("US", years=2003)
    return {day for day, name in calendar.items() if name in US_BANK_CLOSED}


def weeks_with_history(series: pd.Series) -> int:
    """Number of one-week origins that have at least MIN_HISTORY_WEEKS of history before them."""
    wall = series.index.tz_localize(None)
    first, last = wall.min().date(), wall.max().date() + timedelta(days=1)
    return int((last - first).days // 7 - MIN_HISTORY_WEEKS)


def percent(value: float) -> str:
    return f"{100 * value:+.1f} %"


def table_rows(name: str, window: str, table: pd.DataFrame) -> list[str]:
    rows = []
    for row in table.itertuples(index=False):
        rows.append(
            f"| {name} | {window} | {row.method} | {100 * row.wape:.2f} % | {percent(row.bias)} "
            f"| {percent(row.vs_seasonal_naive)} | {percent(row.vs_five_week_median)} "
            f"| {1000 * row.seconds:.0f} ms |"
        )
    return rows


def verdict(name: str, window: str, table: pd.DataFrame) -> str:
    wape = table.set_index("method")["wape"]
    best = min(wape[SEASONAL_NAIVE], wape[FIVE_WEEK_MEDIAN])
    gain = 1 - wape[MODEL] / best
    status = "met" if gain >= GOAL else "MISSED"
    return f"- {name}, {window}: model WAPE {100 * gain:.1f} % below the better baseline (goal 10 %): {status}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--write", action="store_true", help=f"write the results to {RESULTS}")
    args = parser.parse_args()

    series_list: list[tuple[str, Callable[[], pd.Series], set[date]]] = [
        (
            "Anonymous Bank 1999",
            lambda: load_anonymous_bank_6min(args.data_dir / "anonymous_bank_1999_calls_per_6min.csv"),
            israel_holidays(),
        ),
        (
            "US bank 2003",
            lambda: load_us_bank_5min(args.data_dir / "us_bank_calls_5min_2003.csv"),
            us_bank_holidays(),
        ),
    ]
    header = [
        "| series | window | method | WAPE | bias | vs seasonal naive | vs five-week median | time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines = list(header)
    lead_lines = list(header)
    verdicts = []
    for name, load, calendar in series_list:
        series = load()
        intervals = np.count_nonzero(series.notna())
        long = weeks_with_history(series)
        for window, weeks in (("last 8 weeks", 8), (f"{long} weeks", long)):
            table = run_backtest(series, holidays=calendar, weeks=weeks)
            lines += table_rows(name, window, table)
            verdicts.append(verdict(name, window, table))
        table = run_backtest(series, holidays=calendar, weeks=long, lead_weeks=4)
        lead_lines += table_rows(name, f"{long} weeks, 4 ahead", table)
        verdicts.append(verdict(name, f"{long} weeks, 4 weeks ahead", table))
        print(f"{name}: {intervals} intervals, {len(calendar)} holidays in the calendar", flush=True)

    text = "\n".join(
        [
            f"Measured on {platform.machine()}, CPython {platform.python_version()}, pandas {pd.__version__}, "
            f"numpy {np.__version__}; one run of `uv run python benchmarks/bench_forecast.py "
            "--data-dir ../shared/data`. WAPE = sum |actual - forecast| / sum actual over every interval "
            "with an actual value, pooled over the origins; bias = sum (forecast - actual) / sum actual; "
            "`vs` columns are the relative change in WAPE (negative is better); time is the total spent "
            "forecasting over all origins.",
            "",
            "One week ahead:",
            "",
            *lines,
            "",
            "Four weeks ahead (each target week forecast from history ending three weeks before it):",
            "",
            *lead_lines,
            "",
            "Goal: WAPE at least 10 % below the better of the two baselines.",
            "",
            *verdicts,
            "",
            "Notes:",
            "",
            "- The model: daily volume = level (exponentially weighted, half-life one week) x weekday "
            "factor x day-of-month factor (both banks are busier around the turn of the month; the "
            "Israeli bank also in its second week), spread over the day by each weekday's intraday "
            "shares; holidays as past holidays looked (or the quietest weekday), and the first open "
            "day after a closing holiday raised by the catch-up seen after past ones.",
            "- The Anonymous Bank's last 8 weeks (1999-11-06 to 1999-12-31, year end included) hold "
            "whole weeks well above or below the recent level, which no method here sees coming; "
            "the margin over the median is smaller there than over the whole year.",
            "- A damped multiplicative trend is available (`ForecastConfig.trend_damping`) but off: "
            "it made both series worse one and four weeks ahead.",
        ]
    )
    print(text)
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("# Demand forecast backtest\n\n" + text + "\n")


if __name__ == "__main__":
    main()
