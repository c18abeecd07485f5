"""Rolling-origin backtest: metrics, baselines, origins, the result table and the real-series readers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ops.staffing.forecast import backtest as bt
from ops.staffing.forecast.model import horizon_index
from tests.conftest import FIXTURES

TZ = "America/Sao_Paulo"


def weekly_steps(first: date, values: list[float]) -> pd.Series:
    """Every interval of week n holds values[n]."""
    index = horizon_index(first, len(values), TZ)
    week = np.asarray((index.tz_localize(None).normalize() - pd.Timestamp(first)).days // 7)
    return pd.Series(np.array(values)[week], index=index)


def test_wape_and_bias_on_a_hand_example() -> None:
    actual = np.array([10.0, 20.0, 30.0, 40.0])
    predicted = np.array([12.0, 18.0, 30.0, 50.0])
    assert bt.wape(actual, predicted) == pytest.approx(14 / 100)
    assert bt.bias(actual, predicted) == pytest.approx(10 / 100)


def test_seasonal_naive_takes_last_week_and_falls_back_when_it_is_missing() -> None:
    history = weekly_steps(date(2021, 3, 1), [1, 2, 3, 4, 5, 6])
    missing = history.index[-48 * 7 + 20]  # Monday 10:00 of the last week
    history = history.drop(missing)
    result = bt.seasonal_naive(history, date(2021, 4, 12), 1, TZ)
    assert len(result) == 7 * 48
    assert (result.drop(missing + pd.Timedelta(weeks=1)) == 6).all()
    assert result[missing + pd.Timedelta(weeks=1)] == 5


def test_five_week_median_ignores_missing_weeks() -> None:
    history = weekly_steps(date(2021, 3, 1), [100, 1, 9, 2, 8, 3])
    assert (bt.five_week_median(history, date(2021, 4, 12), 1, TZ) == 3).all()
    thin = history[history.index >= pd.Timestamp("2021-03-29", tz=TZ)]  # only the last two weeks
    assert (bt.five_week_median(thin, date(2021, 4, 12), 1, TZ) == 5.5).all()


def test_origins_are_the_last_weeks_before_the_day_after_the_data() -> None:
    series = weekly_steps(date(2021, 3, 1), [1] * 6)
    assert bt.origins(series, weeks=2, tz=TZ) == [date(2021, 3, 29), date(2021, 4, 5)]


def test_backtest_pools_errors_over_origins_and_compares_with_the_baselines() -> None:
    # Weeks hold 4, 4, 4, 4, 8, 3: the two origins score weeks 8 and 3.
    series = weekly_steps(date(2021, 3, 1), [4, 4, 4, 4, 8, 3])

    def perfect(history: pd.Series, start: date, weeks: int, tz: str) -> pd.Series:
        return series[series.index.isin(horizon_index(start, weeks, tz))]

    methods = {bt.MODEL: perfect, bt.SEASONAL_NAIVE: bt.seasonal_naive, bt.FIVE_WEEK_MEDIAN: bt.five_week_median}
    per_origin = bt.backtest_origins(series, methods=methods, weeks=2)
    assert len(per_origin) == 6
    table = bt.summarise(per_origin).set_index("method")
    # Seasonal naive: 4 then 8 against 8 then 3; five-week median: 4 then 4.
    assert table.loc[bt.SEASONAL_NAIVE, "wape"] == pytest.approx(9 / 11)
    assert table.loc[bt.SEASONAL_NAIVE, "bias"] == pytest.approx(1 / 11)
    assert table.loc[bt.FIVE_WEEK_MEDIAN, "wape"] == pytest.approx(5 / 11)
    assert table.loc[bt.FIVE_WEEK_MEDIAN, "bias"] == pytest.approx(-3 / 11)
    assert table.loc[bt.FIVE_WEEK_MEDIAN, "vs_seasonal_naive"] == pytest.approx(5 / 9 - 1)
    assert table.loc[bt.MODEL, "wape"] == 0
    assert table.loc[bt.MODEL, "vs_five_week_median"] == -1


def test_a_longer_lead_scores_the_same_weeks_from_older_history() -> None:
    series = weekly_steps(date(2021, 3, 1), [4, 4, 4, 4, 8, 3])
    methods = {bt.SEASONAL_NAIVE: bt.seasonal_naive}
    one = bt.summarise(bt.backtest_origins(series, methods=methods, weeks=2)).set_index("method")
    two = bt.summarise(bt.backtest_origins(series, methods=methods, weeks=2, lead_weeks=2)).set_index("method")
    # Two weeks ahead the naive forecast is 4 for both target weeks: errors 4 and 1.
    assert one.loc[bt.SEASONAL_NAIVE, "wape"] == pytest.approx(9 / 11)
    assert two.loc[bt.SEASONAL_NAIVE, "wape"] == pytest.approx(5 / 11)


def test_run_backtest_reports_the_model_against_both_baselines() -> None:
    frame = pd.read_csv(FIXTURES / "series_us_bank_2003_30min_may-sep.csv", index_col=0)
    series = pd.Series(
        frame["offered"].to_numpy(dtype=float),
        index=pd.to_datetime(frame.index, utc=True).tz_convert("America/New_York"),
    )
    holidays = {date(2003, 5, 26), date(2003, 7, 4), date(2003, 9, 1)}
    table = bt.run_backtest(series, holidays=holidays, weeks=3)
    assert list(table["method"]) == [bt.MODEL, bt.SEASONAL_NAIVE, bt.FIVE_WEEK_MEDIAN]
    assert list(table.columns) == ["method", "wape", "bias", "vs_seasonal_naive", "vs_five_week_median", "seconds"]
    model = table.set_index("method").loc[bt.MODEL]
    assert model["vs_seasonal_naive"] < -0.2
    assert model["vs_five_week_median"] < 0


def test_anonymous_bank_reader_sums_to_30_minutes_and_drops_the_imputed_day() -> None:
    series = bt.load_anonymous_bank_6min(FIXTURES / "series_anonymous_bank_1999_6min_raw_days.csv")
    assert str(series.index.tz) == "Asia/Jerusalem"
    days = pd.Series(series.index.date).value_counts()
    assert date(1999, 5, 23) not in days.index
    assert days[date(1999, 5, 22)] == 48
    assert days[date(1999, 4, 2)] == 46  # 02:00-03:00 does not exist on the day summer time starts
    assert series[pd.Timestamp("1999-05-24 09:00", tz="Asia/Jerusalem")] == 8 + 9 + 11 + 10 + 18
    assert (series == series.round()).all()


def test_us_bank_reader_keeps_local_clock_and_drops_the_five_minute_tail() -> None:
    series = bt.load_us_bank_5min(FIXTURES / "series_us_bank_2003_5min_raw_days.csv")
    first = series.index[0]
    assert first == pd.Timestamp("2003-08-29 07:00", tz="America/New_York")
    assert first.utcoffset() == pd.Timedelta(hours=-4)
    assert series[first] == 127 + 102 + 107 + 130 + 111 + 108
    days = pd.Series(series.index.date).value_counts()
    assert days.to_dict() == {date(2003, 8, 29): 28, date(2003, 9, 2): 28}
    assert series.index.tz_localize(None).hour.max() == 20
