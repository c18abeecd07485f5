"""Demand forecast: index, shape, level, gaps, holidays, day of month and AHT, on synthetic and real series."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from ops.staffing.forecast import backtest as bt
from ops.staffing.forecast.model import ForecastConfig, forecast, horizon_index
from tests.conftest import FIXTURES

ISRAEL = "Asia/Jerusalem"
NEW_YORK = "America/New_York"
# The Anonymous Bank's 1999 holidays in the fixture (Rosh Hashanah, Yom Kippur, Sukkot, Simchat Torah).
ISRAEL_1999 = {date(1999, 9, 11), date(1999, 9, 12), date(1999, 9, 20), date(1999, 9, 25), date(1999, 10, 2)}
# The US bank closes on Memorial Day, Independence Day and Labor Day (no rows in its series).
US_BANK_2003 = {date(2003, 5, 26), date(2003, 7, 4), date(2003, 9, 1)}


def read_series(name: str, tz: str) -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / name, index_col=0)
    frame.index = pd.to_datetime(frame.index, utc=True).tz_convert(tz)
    return frame


def anonymous_bank() -> pd.Series:
    series: pd.Series = read_series("series_anonymous_bank_1999_30min_sep-nov.csv", ISRAEL)["offered"]
    return series


def us_bank() -> pd.Series:
    series: pd.Series = read_series("series_us_bank_2003_30min_may-sep.csv", NEW_YORK)["offered"]
    return series


def before(series: pd.Series | pd.DataFrame, day: date) -> pd.Series | pd.DataFrame:
    return series[series.index < pd.Timestamp(day).tz_localize(series.index.tz)]


def daily(forecasted: pd.DataFrame) -> pd.Series:
    offered: pd.Series = forecasted["offered"]
    return offered.groupby(offered.index.date).sum()


SHAPE = np.exp(-0.5 * ((np.arange(48) - 26) / 6.0) ** 2)  # a bell over the day, peak at 13:00
WEEKDAY_VOLUME = [1000.0, 900.0, 900.0, 850.0, 800.0, 300.0, 100.0]  # Monday .. Sunday


def synthetic(first: date, weeks: int, tz: str = NEW_YORK, scale: float = 1.0) -> pd.Series:
    """A noiseless series that repeats every week: weekday volume spread by one intraday shape."""
    index = horizon_index(first, weeks, tz)
    wall = index.tz_localize(None)
    days = np.asarray(wall.day_of_week)
    slots = np.asarray(wall.hour * 2 + wall.minute // 30)
    volume = np.array(WEEKDAY_VOLUME)[days] * SHAPE[slots] / SHAPE.sum() * scale
    return pd.Series(volume, index=index)


def test_horizon_has_48_local_intervals_per_day_from_local_midnight() -> None:
    history = synthetic(date(2003, 1, 6), 10)
    result = forecast(history, holidays=set(), start=date(2003, 3, 17), weeks=2)
    assert len(result) == 2 * 7 * 48
    assert str(result.index.tz) == NEW_YORK
    assert result.index[0] == pd.Timestamp("2003-03-17 00:00", tz=NEW_YORK)
    assert result.index[-1] == pd.Timestamp("2003-03-30 23:30", tz=NEW_YORK)
    assert set(result.index.minute) == {0, 30}


def test_clock_change_days_have_46_and_50_intervals() -> None:
    history = synthetic(date(2003, 1, 6), 10)
    spring = forecast(history, holidays=set(), start=date(2003, 4, 6), weeks=1)
    autumn = forecast(history, holidays=set(), start=date(2003, 10, 26), weeks=1)
    assert (spring.index.date == date(2003, 4, 6)).sum() == 46
    assert (autumn.index.date == date(2003, 10, 26)).sum() == 50


def test_history_that_repeats_every_week_is_forecast_exactly() -> None:
    history = synthetic(date(2003, 1, 6), 12)
    result = forecast(history, holidays=set(), start=date(2003, 3, 31), weeks=2)
    truth = synthetic(date(2003, 3, 31), 2)
    assert result.index.equals(truth.index)
    np.testing.assert_allclose(result["offered"].to_numpy(), truth.to_numpy(), rtol=1e-3)


def test_level_follows_recent_weeks() -> None:
    history = pd.concat([synthetic(date(2003, 1, 6), 9), synthetic(date(2003, 3, 10), 3, scale=1.2)])
    result = forecast(history, holidays=set(), start=date(2003, 3, 31), weeks=1)
    ratio = result["offered"].sum() / synthetic(date(2003, 3, 31), 1).sum()
    assert 1.15 < ratio <= 1.2


def test_day_of_month_cycle_is_learnt() -> None:
    """A bank whose first five days of the month are 30 % busier: next month's start is forecast busier."""
    history = synthetic(date(2003, 1, 6), 16)
    history = history * np.where(history.index.day <= 5, 1.3, 1.0)
    result = daily(forecast(history, holidays=set(), start=date(2003, 4, 28), weeks=2))
    # Thursday 1 May against Thursday 8 May: same weekday, same level.
    assert result[date(2003, 5, 1)] / result[date(2003, 5, 8)] > 1.15


def test_a_one_day_burst_in_a_slot_does_not_reshape_next_week() -> None:
    """Redials after an outage quadruple one Tuesday's 10:00 slot: next Tuesday's 10:00 share stays put."""
    history = synthetic(date(2003, 1, 6), 12)
    local = history.index.tz_localize(None)
    burst = history.where(~((local.date == date(2003, 3, 18)) & (local.hour == 10) & (local.minute == 0)), history * 4)

    def share_at_ten(series: pd.Series, config: ForecastConfig | None = None) -> float:
        result = forecast(series, holidays=set(), start=date(2003, 3, 24), weeks=1, config=config)["offered"]
        tuesday = result[result.index.date == date(2003, 3, 25)]
        return float(tuesday[tuesday.index.hour == 10].iloc[0] / tuesday.sum())

    clean = share_at_ten(history)
    assert share_at_ten(burst) == pytest.approx(clean, rel=0.01)
    # A plain weighted mean of the shares would have let it through.
    assert share_at_ten(burst, ForecastConfig(share_winsor=0.0)) > 1.2 * clean


def test_a_drifting_intraday_shape_is_forecast_from_recent_weeks() -> None:
    """Saturday's peak moves half an hour later every week (as calls after the Sabbath follow sunset);
    weekdays keep theirs: Saturday's forecast peak follows the drift, Monday's stays."""
    index = horizon_index(date(2003, 1, 6), 14, NEW_YORK)
    wall = index.tz_localize(None)
    weekday = np.asarray(wall.day_of_week)
    slot = np.asarray(wall.hour * 2 + wall.minute // 30)
    week = np.asarray((wall.normalize() - pd.Timestamp("2003-01-06")).days // 7)
    peak = np.where(weekday == 5, 20 + week, 26)  # the last Saturday of history peaks at slot 33
    history = pd.Series(np.array(WEEKDAY_VOLUME)[weekday] * np.exp(-0.5 * ((slot - peak) / 3.0) ** 2), index=index)

    def peaks(config: ForecastConfig | None = None) -> tuple[int, int]:
        result = forecast(history, holidays=set(), start=date(2003, 4, 14), weeks=1, config=config)["offered"]
        days = result.index.tz_localize(None).day_of_week
        return int(np.argmax(result[days == 5].to_numpy())), int(np.argmax(result[days == 0].to_numpy()))

    saturday, monday = peaks()
    assert saturday >= 32
    assert monday == 26
    assert peaks(ForecastConfig(share_half_lives=(8.0,)))[0] <= 30  # a fixed eight-week half-life lags


def test_forecast_is_never_negative_and_zero_where_the_queue_never_had_calls() -> None:
    series = us_bank()
    result = forecast(before(series, date(2003, 9, 13)), holidays=US_BANK_2003, start=date(2003, 9, 13), weeks=2)
    offered = result["offered"]
    assert (offered >= 0).all()
    local = offered.index.tz_localize(None)
    night = (local.hour < 7) | (local.hour >= 21)
    weekend = local.day_of_week >= 5
    assert (offered[night | weekend] == 0).all()
    assert (offered[~night & ~weekend] > 0).all()


@pytest.mark.parametrize(
    ("name", "tz", "holidays"), [("anonymous", ISRAEL, ISRAEL_1999), ("us", NEW_YORK, US_BANK_2003)]
)
def test_beats_both_baselines_on_real_weeks(name: str, tz: str, holidays: set[date]) -> None:
    series = anonymous_bank() if name == "anonymous" else us_bank()
    methods = {
        bt.MODEL: bt.model_forecaster(holidays),
        bt.SEASONAL_NAIVE: bt.seasonal_naive,
        bt.FIVE_WEEK_MEDIAN: bt.five_week_median,
    }
    table = bt.summarise(bt.backtest_origins(series, methods=methods, weeks=4, tz=tz)).set_index("method")
    assert table.loc[bt.MODEL, "wape"] < 0.9 * table.loc[bt.SEASONAL_NAIVE, "wape"]
    assert table.loc[bt.MODEL, "wape"] < table.loc[bt.FIVE_WEEK_MEDIAN, "wape"]


def test_missing_intervals_and_days_are_unknown_not_zero() -> None:
    history = before(us_bank(), date(2003, 9, 13))
    rng = np.random.default_rng(7)
    holed = history[rng.random(len(history)) > 0.15]
    holed = holed[holed.index.date != date(2003, 9, 10)]
    zero_filled = history.where(history.index.isin(holed.index), 0.0)
    full, gappy, zeros = (
        forecast(h, holidays=US_BANK_2003, start=date(2003, 9, 13), weeks=1)["offered"].sum()
        for h in (history, holed, zero_filled)
    )
    assert abs(gappy / full - 1) < 0.01
    assert zeros / full < 0.9  # what treating gaps as zeros would have done


def test_a_holiday_is_forecast_like_past_holidays() -> None:
    history = before(anonymous_bank(), date(1999, 10, 17))
    pretend = date(1999, 10, 19)  # an ordinary Tuesday, declared a holiday
    with_holiday = daily(forecast(history, holidays=ISRAEL_1999 | {pretend}, start=date(1999, 10, 17), weeks=2))
    past = history[np.isin(history.index.date, sorted(ISRAEL_1999))]
    past_mean = past.groupby(past.index.date).sum().mean()
    assert with_holiday[pretend] < 0.35 * with_holiday[date(1999, 10, 26)]
    assert 0.5 * past_mean < with_holiday[pretend] < 2.0 * past_mean


def test_without_past_holidays_a_holiday_looks_like_the_quietest_weekday() -> None:
    history = synthetic(date(2003, 1, 6), 10)
    result = forecast(history, holidays={date(2003, 3, 19)}, start=date(2003, 3, 17), weeks=1)
    wednesday = result[result.index.date == date(2003, 3, 19)]["offered"].to_numpy()
    sunday = result[result.index.date == date(2003, 3, 23)]["offered"].to_numpy()
    np.testing.assert_allclose(wednesday, sunday, rtol=1e-3)


def test_first_day_after_a_closing_holiday_gets_the_catch_up_seen_after_past_ones() -> None:
    history = before(us_bank(), date(2003, 8, 30))
    with_calendar = daily(forecast(history, holidays=US_BANK_2003, start=date(2003, 8, 30), weeks=1))
    without = daily(forecast(history, holidays=set(), start=date(2003, 8, 30), weeks=1))
    assert with_calendar[date(2003, 9, 1)] == 0  # the bank is closed on Labor Day, as on past holidays
    assert with_calendar[date(2003, 9, 2)] > 1.05 * without[date(2003, 9, 2)]
    assert with_calendar[date(2003, 9, 3)] == pytest.approx(without[date(2003, 9, 3)], rel=0.05)


def test_aht_is_handle_seconds_over_answered_contacts() -> None:
    offered = synthetic(date(2003, 1, 6), 10)
    history = pd.DataFrame({"offered": offered, "answered": offered / 2, "handle_seconds": offered / 2 * 240.0})
    result = forecast(history, holidays=set(), start=date(2003, 3, 17), weeks=1)
    open_hours = result["offered"] > 0
    np.testing.assert_allclose(result.loc[open_hours, "aht"].to_numpy(), 240.0)
    without_answered = forecast(history.drop(columns="answered"), holidays=set(), start=date(2003, 3, 17), weeks=1)
    np.testing.assert_allclose(without_answered.loc[open_hours, "aht"].to_numpy(), 120.0)


def test_aht_is_missing_without_handle_data() -> None:
    result = forecast(synthetic(date(2003, 1, 6), 10), holidays=set(), start=date(2003, 3, 17), weeks=1)
    assert result["aht"].isna().all()


def test_aht_on_a_real_month_beats_last_weeks_interval_aht() -> None:
    month = read_series("series_anonymous_bank_1999_08_30min_offered_handle.csv", ISRAEL)
    start = date(1999, 8, 25)
    history = before(month, start)
    actual = month[(month.index >= pd.Timestamp(start).tz_localize(ISRAEL)) & ~month.index.isin(history.index)]
    actual = actual[actual.index < pd.Timestamp(start + timedelta(days=7)).tz_localize(ISRAEL)]
    result = forecast(history, holidays=set(), start=start, weeks=1).reindex(actual.index)
    week_before = month.shift(7 * 48).reindex(actual.index)
    naive = (week_before["handle_seconds"] / week_before["answered"]).fillna(result["aht"])

    def error(aht: pd.Series) -> float:
        predicted = aht * actual["answered"]
        return float((predicted - actual["handle_seconds"]).abs().sum() / actual["handle_seconds"].sum())

    assert error(result["aht"]) < 0.9 * error(naive)
    assert result["aht"].between(100, 300).all()


def test_rejects_naive_off_grid_and_negative_history() -> None:
    history = synthetic(date(2003, 1, 6), 6)
    with pytest.raises(ValueError, match="time-zone aware"):
        forecast(history.tz_localize(None), holidays=set(), start=date(2003, 2, 17), weeks=1)
    with pytest.raises(ValueError, match="30-minute"):
        forecast(history.shift(freq="10min"), holidays=set(), start=date(2003, 2, 17), weeks=1)
    with pytest.raises(ValueError, match="negative"):
        forecast(-history, holidays=set(), start=date(2003, 2, 17), weeks=1)
    with pytest.raises(ValueError, match="weeks"):
        forecast(history, holidays=set(), start=date(2003, 2, 17), weeks=0)


def test_config_can_switch_on_a_damped_trend() -> None:
    weeks = [synthetic(date(2003, 1, 6) + timedelta(weeks=w), 1, scale=1.03**w) for w in range(12)]
    history = pd.concat(weeks)
    flat = forecast(history, holidays=set(), start=date(2003, 3, 31), weeks=4)
    trended = forecast(
        history, holidays=set(), start=date(2003, 3, 31), weeks=4, config=ForecastConfig(trend_damping=0.9)
    )
    assert trended["offered"].sum() > 1.03 * flat["offered"].sum()
