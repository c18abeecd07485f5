"""Rolling-origin backtest of the demand forecast against seasonal-naive and five-week-median baselines."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ops.staffing.forecast.model import day_slots, forecast, horizon_index

Forecaster = Callable[[pd.Series, date, int, str], pd.Series]
"""(history, start, weeks, tz) -> offered per interval of the horizon."""

MODEL = "model"
SEASONAL_NAIVE = "seasonal naive"
FIVE_WEEK_MEDIAN = "five-week median"


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |actual - forecast| / sum actual."""
    return float(np.sum(np.abs(actual - predicted)) / np.sum(actual))


def bias(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Signed error relative to volume: sum (forecast - actual) / sum actual (positive: over-forecast)."""
    return float(np.sum(predicted - actual) / np.sum(actual))


def _same_weekday_history(history: pd.Series, start: date, weeks: int, tz: str, depth: int) -> np.ndarray:
    """For each horizon interval, the same weekday and slot in the `depth` weeks before `start`.

    Returns an array (depth, intervals), newest week first; a horizon day in its n-th week looks back
    from the same weekday of the last week before `start`, so every value predates the origin.
    """
    first_day = start - timedelta(days=7 * depth)
    past = day_slots(history, tz=tz, first_day=first_day, end_day=start).values
    index = horizon_index(start, weeks, tz)
    wall = index.tz_localize(None)
    offset = np.asarray((wall.normalize() - pd.Timestamp(start)).days, dtype=np.int64)
    slot = np.asarray(wall.hour * 2 + wall.minute // 30, dtype=np.int64)
    rows = (depth - 1) * 7 + offset % 7
    return np.stack([past[rows - 7 * k, slot] for k in range(depth)])


def seasonal_naive(history: pd.Series, start: date, weeks: int, tz: str) -> pd.Series:
    """Same interval one week earlier; if that interval is missing, the most recent earlier week that has it."""
    looks = _same_weekday_history(history, start, weeks, tz, depth=5)
    values = np.full(looks.shape[1], np.nan)
    for row in looks[::-1]:
        values = np.where(np.isfinite(row), row, values)
    return pd.Series(np.nan_to_num(values, nan=0.0), index=horizon_index(start, weeks, tz))


def five_week_median(history: pd.Series, start: date, weeks: int, tz: str) -> pd.Series:
    """Median of the same interval over the last five weeks, ignoring weeks where it is missing."""
    looks = _same_weekday_history(history, start, weeks, tz, depth=5)
    seen = np.isfinite(looks).any(axis=0)
    median = np.zeros(looks.shape[1])
    median[seen] = np.nanmedian(looks[:, seen], axis=0)
    return pd.Series(median, index=horizon_index(start, weeks, tz))


def model_forecaster(holidays: Collection[date]) -> Forecaster:
    """The forecast model wrapped for the backtest."""

    def run(history: pd.Series, start: date, weeks: int, tz: str) -> pd.Series:
        result: pd.Series = forecast(history, holidays=holidays, start=start, weeks=weeks, tz=tz)["offered"]
        return result

    return run


def origins(series: pd.Series, *, weeks: int, tz: str) -> list[date]:
    """Start of each of the last `weeks` weeks, counted back from the day after the last observed day."""
    wall = pd.DatetimeIndex(series.dropna().index).tz_convert(tz).tz_localize(None)
    end = wall.max().date() + timedelta(days=1)
    return [end - timedelta(days=7 * k) for k in range(weeks, 0, -1)]


def backtest_origins(
    series: pd.Series,
    *,
    methods: Mapping[str, Forecaster],
    weeks: int = 8,
    lead_weeks: int = 1,
    tz: str | None = None,
) -> pd.DataFrame:
    """One row per origin and method: absolute error, signed error, actual volume and seconds spent.

    Each origin's week is forecast from history that ends `lead_weeks - 1` weeks before it, so a
    lead of 3 scores the third week of a three-week forecast.
    """
    zone = tz or str(series.index.tz)
    observed = series.dropna()
    rows = []
    for origin in origins(observed, weeks=weeks, tz=zone):
        begin, end = horizon_index(origin, 1, zone)[[0, -1]]
        actual = observed[(observed.index >= begin) & (observed.index <= end)]
        issued = origin - timedelta(days=7 * (lead_weeks - 1))
        history = observed[observed.index < horizon_index(issued, 1, zone)[0]]
        for name, method in methods.items():
            started = time.perf_counter()
            predicted = method(history, issued, lead_weeks, zone)
            seconds = time.perf_counter() - started
            aligned = predicted.reindex(actual.index).fillna(0.0).to_numpy(dtype=float)
            truth = actual.to_numpy(dtype=float)
            rows.append(
                {
                    "origin": origin,
                    "method": name,
                    "abs_error": float(np.sum(np.abs(truth - aligned))),
                    "error": float(np.sum(aligned - truth)),
                    "actual": float(np.sum(truth)),
                    "seconds": seconds,
                }
            )
    return pd.DataFrame(rows)


def summarise(per_origin: pd.DataFrame) -> pd.DataFrame:
    """Pool the origins per method: WAPE, bias, WAPE change against each baseline, seconds."""
    totals = per_origin.groupby("method", sort=False)[["abs_error", "error", "actual", "seconds"]].sum()
    table = pd.DataFrame(
        {
            "wape": totals["abs_error"] / totals["actual"],
            "bias": totals["error"] / totals["actual"],
        }
    )
    for baseline, column in (
        (SEASONAL_NAIVE, "vs_seasonal_naive"),
        (FIVE_WEEK_MEDIAN, "vs_five_week_median"),
    ):
        if baseline in table.index:
            table[column] = table["wape"] / table.loc[baseline, "wape"] - 1.0
    table["seconds"] = totals["seconds"]
    return table.reset_index()


def methods_for(holidays: Collection[date]) -> dict[str, Forecaster]:
    """The model and both baselines, in the order the result table lists them."""
    return {
        MODEL: model_forecaster(holidays),
        SEASONAL_NAIVE: seasonal_naive,
        FIVE_WEEK_MEDIAN: five_week_median,
    }


def run_backtest(series: pd.Series, *, holidays: set[date], weeks: int = 8, lead_weeks: int = 1) -> pd.DataFrame:
    """Backtest the model and both baselines over the last `weeks` one-week horizons of `series`.

    `series` holds offered contacts per 30-minute interval on a tz-aware index in the queue's zone.
    Returns one row per method with `wape`, `bias`, `vs_seasonal_naive` and `vs_five_week_median`
    (relative WAPE change, negative is better) and `seconds` (time spent forecasting).
    """
    per_origin = backtest_origins(series, methods=methods_for(holidays), weeks=weeks, lead_weeks=lead_weeks)
    return summarise(per_origin)


def load_anonymous_bank_6min(path: str | Path, *, tz: str = "Asia/Jerusalem") -> pd.Series:
    """Calls per 30 minutes from the Anonymous Bank 6-minute series (Rfssa), on a tz-aware index.

    The series counts every call entering the voice response unit, PHANTOM records included, so it
    overstates the contacts offered to agents. 1999-05-23 holds imputed fractional values and is left
    out as missing. Labels are wall-clock: the hour skipped when summer time starts (all zeros) is
    dropped, and the hour repeated when it ends is taken as the summer-time one.
    """
    raw = pd.read_csv(path, dtype={"date": str, "slot_start": str, "calls": float})
    raw = raw[raw["date"] != "1999-05-23"]
    wall = pd.to_datetime(raw["date"] + " " + raw["slot_start"], format="%Y-%m-%d %H:%M")
    summed = raw["calls"].groupby(wall.dt.floor("30min").to_numpy()).sum()
    index = pd.DatetimeIndex(summed.index).tz_localize(tz, nonexistent="NaT", ambiguous=True)
    series = pd.Series(summed.to_numpy(), index=index, name="offered")
    series = series[series.index.notna()]
    series.index.name = "interval_start"
    return series


def load_us_bank_5min(path: str | Path, *, tz: str = "America/New_York") -> pd.Series:
    """Calls per 30 minutes from the US bank 5-minute series (fpp3 `bank_calls`), on a tz-aware index.

    Its timestamps are local time labelled UTC: the label is kept and given the bank's zone. Days
    run 07:00-21:05; the lone 21:00-21:05 slot would make a 30-minute interval of five minutes, so it
    is dropped. Missing weekdays stay missing.
    """
    raw = pd.read_csv(path, dtype={"DateTime": str, "Calls": float})
    wall = pd.to_datetime(raw["DateTime"].str.rstrip("Z"), format="%Y-%m-%dT%H:%M:%S")
    raw = raw[(wall.dt.hour < 21).to_numpy()]
    wall = wall[wall.dt.hour < 21]
    summed = raw["Calls"].groupby(wall.dt.floor("30min").to_numpy()).sum()
    index = pd.DatetimeIndex(summed.index).tz_localize(tz, nonexistent="NaT", ambiguous=True)
    series = pd.Series(summed.to_numpy(), index=index, name="offered")
    series = series[series.index.notna()]
    series.index.name = "interval_start"
    return series
