"""The forecast's recent accuracy: the last weeks with history, each scored from the history before it."""

from __future__ import annotations

from datetime import date

import pytest

from ops.staffing.forecast.accuracy import recent_accuracy, scorable_weeks
from tests.unit.staffing.forecast.test_backtest import TZ, weekly_steps


def test_a_steady_history_is_forecast_without_error_over_the_last_four_weeks() -> None:
    series = weekly_steps(date(2021, 3, 1), [4, 4, 4, 4, 4, 4])
    found = recent_accuracy(series, holidays=set(), tz=TZ)
    assert found is not None
    assert (found.weeks, found.first, found.last) == (4, date(2021, 3, 15), date(2021, 4, 11))
    assert found.wape == pytest.approx(0, abs=1e-9)
    assert found.bias == pytest.approx(0, abs=1e-9)
    assert found.actual == 4 * 4 * 7 * 48


def test_a_week_busier_than_its_past_shows_as_a_negative_bias() -> None:
    series = weekly_steps(date(2021, 3, 1), [4, 4, 4, 4, 4, 8])
    found = recent_accuracy(series, holidays=set(), tz=TZ)
    assert found is not None
    # The last week doubled: the forecast ran low there, and only there.
    assert found.bias is not None and found.wape is not None
    assert found.bias < 0
    assert found.wape == pytest.approx(-found.bias)


def test_a_short_history_scores_the_weeks_it_can_and_none_without_a_week_before() -> None:
    two = weekly_steps(date(2021, 3, 1), [4, 4])
    assert scorable_weeks(two, TZ) == 1
    found = recent_accuracy(two, holidays=set(), tz=TZ)
    assert found is not None and found.weeks == 1 and found.first == date(2021, 3, 8)
    one = weekly_steps(date(2021, 3, 1), [4])
    assert recent_accuracy(one, holidays=set(), tz=TZ) is None
    assert recent_accuracy(one.iloc[:0], holidays=set(), tz=TZ) is None


def test_weeks_with_nothing_offered_have_no_percentage_to_show() -> None:
    series = weekly_steps(date(2021, 3, 1), [0, 0, 0])
    found = recent_accuracy(series, holidays=set(), tz=TZ)
    assert found is not None and found.weeks == 2
    assert (found.wape, found.bias, found.actual) == (None, None, 0)
