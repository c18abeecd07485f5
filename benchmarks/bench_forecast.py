"""Rolling-origin backtest of the demand forecast on two real call-center series, against its baselines.

Series (30-minute intervals, read by `ops.staffing.forecast.backtest`'s readers):
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

A diagnostic table scores, on the last 8 weeks, the model rescaled so that each forecast week's
total equals the actual one (hindsight, not a forecast): what the model's day split and intraday
shapes would score if the weekly level were known.

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

from ops.staffing.forecast.backtest import (
    FIVE_WEEK_MEDIAN,
    MODEL,
    SEASONAL_NAIVE,
    Forecaster,
    backtest_origins,
    load_anonymous_bank_6min,
    load_us_bank_5min,
    methods_for,
    run_backtest,
    summarise,
)

RESULTS = Path(__file__).parent / "results" / "forecast.md"
MIN_HISTORY_WEEKS = 8
GOAL = 0.10
HINDSIGHT = "model, week total known (hindsight)"
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


def with_known_week_total(model: Forecaster, series: pd.Series) -> Forecaster:
    """The model's forecast scaled so that its total over the observed intervals equals the actual total."""

    def run(history: pd.Series, start: date, weeks: int, tz: str) -> pd.Series:
        predicted = model(history, start, weeks, tz)
        actual = series.reindex(predicted.index).dropna()
        expected = predicted.reindex(actual.index).sum()
        return predicted * (actual.sum() / expected) if expected > 0 else predicted

    return run


def hindsight_table(series: pd.Series, calendar: set[date]) -> pd.DataFrame:
    methods = methods_for(calendar)
    methods = {MODEL: methods[MODEL], HINDSIGHT: with_known_week_total(methods[MODEL], series), **methods}
    return summarise(backtest_origins(series, methods=methods, weeks=8))


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
    hindsight_lines = list(header)
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
        hindsight_lines += table_rows(name, "last 8 weeks", hindsight_table(series, calendar))
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
            "Diagnostic, last 8 weeks: the model rescaled to each week's actual total (hindsight):",
            "",
            *hindsight_lines,
            "",
            "Goal: WAPE at least 10 % below the better of the two baselines.",
            "",
            *verdicts,
            "",
            "Notes:",
            "",
            "- The model: daily volume = level (exponentially weighted, half-life one week) x weekday "
            "factor x day-of-month factor (both banks are busier around the turn of the month; the "
            "Israeli bank also in its second week), spread over the day by each day type's intraday "
            "shares; holidays as past holidays looked (or the quietest weekday), and the first open "
            "day after a closing holiday raised by the catch-up seen after past ones.",
            "- Intraday shares: each slot's daily share is clipped to its 10th-90th percentiles over "
            "the day type's days before averaging (WAPE is an absolute error; redial bursts and outages "
            "no longer pull the shape), and each day type takes the half-life (1, 2, 4 or 8 weeks) whose "
            "shares best forecast the following week over the last 8 weeks of its own history (the "
            "Israeli Friday and Saturday follow sunset and drift with the season). Against the better "
            "baseline this moved the Anonymous Bank from 6.1 to 7.2 % (last 8 weeks), 15.3 to 16.9 % "
            "(44 weeks), 14.9 to 16.3 % (4 ahead) and the US bank from 17.9 to 18.2 %, 14.6 to 14.7 %, "
            "13.2 to 13.2 %.",
            "- The Anonymous Bank's last 8 weeks stay short of the goal. They hold Hanukkah "
            "(1999-12-04 to 12-11) and the year end: the model's week totals miss by +10.8 %, -13.8 % and "
            "-16.5 % on three of the weeks (the five-week median's by +5.4 %, -14.3 % and -9.6 %). Every "
            "level "
            "estimated from history alone that was tried misses the week total by 8.4 to 10.7 % on "
            "average over these weeks (exponential half-lives of 0.5 to 4 weeks, mean or median of the "
            "last 2 to 5 weekly levels, a weighted median). With each week's total known in hindsight "
            "(diagnostic table) the model would be 16.8 % below the median; rescaling every week by the "
            "best single factor in hindsight (x1.03 to x1.06) still leaves it at 18.8 %, 8.6 % below, "
            "where the goal needs 18.5 %.",
            "- Tried and not kept (gain over the better baseline: Anonymous Bank last 8 weeks / 44 "
            "weeks / US bank last 8 weeks; the old model scored 6.1 / 15.3 / 17.9 %, the current one "
            "7.2 / 16.9 / 18.2 %; on the old model unless said): averaging with the five-week "
            "median, weight 0.85 or 0.7 on the "
            "current model (7.6 / 16.2 / 17.0, 7.5 / 14.8 / 15.4); level half-life 0.5 or 2 weeks "
            "(6.5 / 14.9 / 16.7, 4.9 / 15.4 / 16.9); the average of half-lives 0.5, 1 and 2 weeks "
            "(6.1 / 15.4 / 17.5); the level averaged with the median of the last 5 weekly levels "
            "(5.8 / 15.6 / 18.9); day-of-month factors shrunk with 3 or 5 pseudo-days (6.9 / 14.7 / "
            "14.3, 7.2 / 14.1 / 11.5) or fitted by 4 harmonics (4.5 / 14.8 / 19.8); shares and weekday "
            "factors over 30 weeks, half-life 16 (4.0 / 14.7 / 18.4); daily factors winsorised at 5 % "
            "(7.4 / 17.2 / 20.2) and weekday factors' half-life chosen like the shares' (7.7 / 17.0 / "
            "18.3) on top of the current model: none reaches 10 % there without hurting other windows, "
            "and the last two are within noise.",
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
