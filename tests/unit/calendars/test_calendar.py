"""Example tests for business-hours calendars and SLA due / elapsed time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ops.calendars import (
    WEEKDAYS,
    Calendar,
    CalendarError,
    add_business_minutes,
    add_business_minutes_each,
    business_days_between,
    business_minutes_between,
    is_open,
    next_open,
)

SP_TZ = ZoneInfo("America/Sao_Paulo")
NY_TZ = ZoneInfo("America/New_York")
WORKDAY = [["08:00", "13:00"], ["14:00", "18:00"]]


def office(**extra: Any) -> Calendar:
    """Mon-Fri 08:00-13:00 and 14:00-18:00 in São Paulo, with a lunch break."""
    d: dict[str, Any] = {"timezone": "America/Sao_Paulo", "hours": dict.fromkeys(WEEKDAYS[:5], WORKDAY)}
    d.update(extra)
    return Calendar.from_dict(d)


def always(tz: str = "UTC") -> Calendar:
    return Calendar.from_dict({"timezone": tz, "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS}})


def sp(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SP_TZ)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NY_TZ, fold=fold)


# --- the contract-file form ---------------------------------------------------------------------


def test_from_dict_round_trips_through_to_dict() -> None:
    d = {
        "timezone": "America/Sao_Paulo",
        "hours": {"mon": WORKDAY, "sat": [["09:00", "12:00"]], "sun": [["22:00", "24:00"]]},
        "holidays": ["2025-12-24", "2025-12-31"],
        "country": "BR",
        "subdivision": "SP",
    }
    cal = Calendar.from_dict(d)
    assert cal.to_dict() == d
    assert Calendar.from_dict(cal.to_dict()) == cal
    assert cal.hours[0] == ((480, 780), (840, 1080))
    assert cal.hours[6] == ((1320, 1440),)


def test_yaml_dates_are_accepted_as_holidays() -> None:
    cal = office(holidays=[date(2025, 12, 24)])
    assert cal.holidays == {date(2025, 12, 24)}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"timezone": "America/Sao_Paul"}, "timezone: unknown time zone 'America/Sao_Paul'"),
        ({"timezone": None}, "timezone: None is not a time zone name"),
        (
            {"hours": {"mon": [["08:00", "13:00"], ["14:00", "13:00"]]}},
            "hours.mon[1]: end 13:00 is before start 14:00",
        ),
        ({"hours": {"mon": [["08:00", "08:00"]]}}, "hours.mon[0]: window 08:00-08:00 is empty"),
        (
            {"hours": {"mon": [["08:00", "13:00"], ["12:00", "18:00"]]}},
            "hours.mon[1]: 12:00-18:00 overlaps 08:00-13:00",
        ),
        ({"hours": {"mon": [["24:00", "24:00"]]}}, "hours.mon[0][0]: 24:00 can only end a window"),
        ({"hours": {"mon": [["8:00", "13:00"]]}}, "hours.mon[0][0]: '8:00' is not a time 'HH:MM'"),
        ({"hours": {"mon": [["08:00", "25:00"]]}}, "hours.mon[0][1]: '25:00' is not a time of day"),
        (
            {"hours": {"mon": [["08:00", 780]]}},
            "hours.mon[0][1]: 780 is not a time 'HH:MM' (quote times in YAML",
        ),
        ({"hours": {"mon": [["08:00"]]}}, "hours.mon[0]: expected a [start, end] pair"),
        ({"hours": {"monday": WORKDAY}}, "hours.monday: unknown weekday"),
        ({"hours": {}}, "hours: the calendar never opens"),
        (
            {"holidays": ["2026-01-01", "2026-02-01", "2026-13-01"]},
            "holidays[2]: '2026-13-01' is not a date YYYY-MM-DD",
        ),
        ({"country": "BR", "subdivision": "XX"}, "subdivision: 'XX' is not a subdivision of BR"),
        ({"country": "ZZ"}, "country: 'ZZ' is not a country"),
        ({"subdivision": "SP"}, "subdivision: 'SP' given without a country"),
        ({"tz": "UTC"}, "tz: unknown field"),
    ],
)
def test_bad_calendars_name_the_field(patch: dict[str, Any], message: str) -> None:
    d: dict[str, Any] = {"timezone": "America/Sao_Paulo", "hours": {"mon": WORKDAY}}
    d.update(patch)
    with pytest.raises(CalendarError) as excinfo:
        Calendar.from_dict(d)
    assert str(excinfo.value).startswith(message)
    assert isinstance(excinfo.value, ValueError)


# --- holidays by state ----------------------------------------------------------------------------


def test_state_holidays_close_only_that_state() -> None:
    sao_paulo = office(country="BR", subdivision="SP")
    rio = office(timezone="America/Sao_Paulo", country="BR", subdivision="RJ")
    # 9 July (Constitutionalist Revolution) is a São Paulo state holiday; 23 April (Saint George) is Rio's.
    assert not is_open(sao_paulo, sp(2025, 7, 9, 10))
    assert is_open(rio, sp(2025, 7, 9, 10))
    assert is_open(sao_paulo, sp(2025, 4, 23, 10))
    assert not is_open(rio, sp(2025, 4, 23, 10))
    # A deadline across the holiday skips it in São Paulo only.
    start = sp(2025, 7, 8, 17)
    assert add_business_minutes(sao_paulo, start, 120) == sp(2025, 7, 10, 9)
    assert add_business_minutes(rio, start, 120) == sp(2025, 7, 9, 9)


def test_city_subdivision_adds_the_city_anniversary() -> None:
    state = office(country="BR", subdivision="SP")
    city = office(country="BR", subdivision="São Paulo Capital")
    # 25 January 2027 is a Monday: São Paulo city's anniversary, not a state holiday.
    assert is_open(state, sp(2027, 1, 25, 9))
    assert not is_open(city, sp(2027, 1, 25, 9))


def test_national_holidays_apply_without_a_subdivision() -> None:
    cal = office(country="BR")
    assert not is_open(cal, sp(2025, 12, 25, 10))
    assert is_open(cal, sp(2025, 7, 9, 10))


def test_contract_extra_dates_close_the_whole_day() -> None:
    cal = office(holidays=["2025-12-24"])
    assert not is_open(cal, sp(2025, 12, 24, 10))
    assert next_open(cal, sp(2025, 12, 24, 10)) == sp(2025, 12, 25, 8)


def test_business_days_differ_from_calendar_days_around_each_state_holiday() -> None:
    sao_paulo = office(country="BR", subdivision="SP")
    rio = office(country="BR", subdivision="RJ")
    every_day = always("America/Sao_Paulo")
    # Opened Tuesday 8 July, answered Friday 11 July 2025: 3 calendar days.
    assert business_days_between(every_day, date(2025, 7, 8), date(2025, 7, 11)) == 3
    assert business_days_between(rio, date(2025, 7, 8), date(2025, 7, 11)) == 3
    assert business_days_between(sao_paulo, date(2025, 7, 8), date(2025, 7, 11)) == 2
    # Around Rio's 23 April (a Wednesday) it is the other way round.
    assert business_days_between(rio, date(2025, 4, 22), date(2025, 4, 24)) == 1
    assert business_days_between(sao_paulo, date(2025, 4, 22), date(2025, 4, 24)) == 2
    # Weekends never count; same day is 0; reversed dates give a negative count.
    assert business_days_between(sao_paulo, date(2025, 7, 4), date(2025, 7, 7)) == 1
    assert business_days_between(sao_paulo, date(2025, 7, 7), date(2025, 7, 7)) == 0
    assert business_days_between(sao_paulo, date(2025, 7, 11), date(2025, 7, 8)) == -2


# --- the clock ------------------------------------------------------------------------------------


def test_lunch_break_does_not_count() -> None:
    cal = office()
    assert add_business_minutes(cal, sp(2025, 6, 2, 12, 50), 20) == sp(2025, 6, 2, 14, 10)
    assert business_minutes_between(cal, sp(2025, 6, 2, 12, 50), sp(2025, 6, 2, 14, 10)) == 20


def test_deadline_at_closing_time_stays_at_closing_time() -> None:
    cal = office()
    monday_five = sp(2025, 6, 2, 17)
    due = add_business_minutes(cal, monday_five, 60)
    assert due == sp(2025, 6, 2, 18)
    assert due.utcoffset() == timedelta(hours=-3)
    assert not is_open(cal, due)
    # One more minute, from either place, is the next morning.
    assert add_business_minutes(cal, monday_five, 61) == sp(2025, 6, 3, 8, 1)
    assert add_business_minutes(cal, due, 1) == sp(2025, 6, 3, 8, 1)
    # Lunch counts as a closing time too, and Friday's close is not pushed to Monday.
    assert add_business_minutes(cal, sp(2025, 6, 2, 12), 60) == sp(2025, 6, 2, 13)
    assert add_business_minutes(cal, sp(2025, 6, 6, 17), 60) == sp(2025, 6, 6, 18)


def test_start_outside_hours_waits_for_the_next_opening() -> None:
    cal = office()
    saturday = sp(2025, 6, 7, 10)
    assert add_business_minutes(cal, saturday, 30) == sp(2025, 6, 9, 8, 30)
    assert business_minutes_between(cal, saturday, sp(2025, 6, 9, 8, 30)) == 30


def test_zero_minutes_returns_start_even_when_closed() -> None:
    cal = office()
    saturday = datetime(2025, 6, 7, 13, tzinfo=UTC)
    due = add_business_minutes(cal, saturday, 0)
    assert due == saturday
    assert due.tzinfo == SP_TZ


def test_pauses_stop_the_clock() -> None:
    cal = office()
    start = sp(2025, 6, 2, 9)
    pending = [(sp(2025, 6, 2, 10), sp(2025, 6, 2, 11, 30))]
    assert add_business_minutes(cal, start, 120, pending) == sp(2025, 6, 2, 12, 30)
    assert business_minutes_between(cal, start, sp(2025, 6, 2, 12, 30), pending) == 120
    # 09:00-15:00 holds 300 open minutes. A pause over lunch only removes its open half hours (12:30-13:00
    # and 14:00-14:30), and a pause inside another one counts once.
    over_lunch = [
        (sp(2025, 6, 2, 12, 30), sp(2025, 6, 2, 14, 30)),
        (sp(2025, 6, 2, 14), sp(2025, 6, 2, 14, 15)),
    ]
    assert business_minutes_between(cal, start, sp(2025, 6, 2, 15)) == 300
    assert business_minutes_between(cal, start, sp(2025, 6, 2, 15), over_lunch) == 300 - 60
    # A deadline that meets a pause waits at the pause's start.
    assert add_business_minutes(cal, start, 60, pending) == sp(2025, 6, 2, 10)


def test_bad_pause_and_naive_times_are_rejected() -> None:
    cal = office()
    with pytest.raises(ValueError, match=r"pauses\[0\]: end .* is before start"):
        add_business_minutes(cal, sp(2025, 6, 2, 9), 10, [(sp(2025, 6, 2, 11), sp(2025, 6, 2, 10))])
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        add_business_minutes(cal, datetime(2025, 6, 2, 9), 10)
    with pytest.raises(ValueError, match="minutes must be a finite number >= 0"):
        add_business_minutes(cal, sp(2025, 6, 2, 9), -1)
    with pytest.raises(ValueError, match=r"minutes must be at most 5256000 \(ten years\), got 1e\+20"):
        add_business_minutes(cal, sp(2025, 6, 2, 9), 1e20)
    with pytest.raises(ValueError, match=r"end .* is before start"):
        business_minutes_between(cal, sp(2025, 6, 2, 9), sp(2025, 6, 2, 8))


def test_a_count_past_the_last_date_is_an_error_not_an_overflow() -> None:
    # One open minute a week, from the last weeks there are: the count cannot end in time. 9999-12-31 is a Friday,
    # and a Friday window ending at 24:00, or late on a Friday behind UTC, would end past any datetime.
    for hours, zone in (({"mon": [["09:00", "09:01"]]}, "UTC"), ({"fri": [["23:59", "24:00"]]}, "UTC")):
        sparse = Calendar.from_dict({"timezone": zone, "hours": hours})
        with pytest.raises(CalendarError, match=r"the count runs past the last date a count can reach \(9999-12-30\)"):
            add_business_minutes(sparse, datetime(9999, 11, 1, tzinfo=UTC), 100)
    late = Calendar.from_dict({"timezone": "America/Sao_Paulo", "hours": {"fri": [["22:00", "23:00"]]}})
    with pytest.raises(CalendarError, match="the count runs past"):
        add_business_minutes_each(late, datetime(9999, 11, 1, tzinfo=UTC), [30, 600])
    sparse = Calendar.from_dict({"timezone": "UTC", "hours": {"mon": [["09:00", "09:01"]]}})
    due = add_business_minutes(sparse, datetime(9999, 11, 1, tzinfo=UTC), 3)
    assert due == datetime(9999, 11, 15, 9, 1, tzinfo=UTC)


def test_windows_ending_at_24_00_join_the_next_day() -> None:
    night = Calendar.from_dict(
        {"timezone": "America/Sao_Paulo", "hours": {"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]}}
    )
    assert add_business_minutes(night, sp(2025, 6, 2, 23), 120) == sp(2025, 6, 3, 1)
    assert add_business_minutes(night, sp(2025, 6, 2, 23), 60) == sp(2025, 6, 3, 0)
    assert is_open(night, sp(2025, 6, 3, 0))
    assert business_minutes_between(night, sp(2025, 6, 2, 0), sp(2025, 6, 4, 0)) == 8 * 60


def test_24x7_calendar_counts_every_real_minute() -> None:
    cal = always()
    start = datetime(2025, 6, 2, 9, 30, 15, tzinfo=UTC)
    assert add_business_minutes(cal, start, 7 * 24 * 60) == start + timedelta(days=7)
    assert business_minutes_between(cal, start, start + timedelta(seconds=90)) == 1.5
    assert is_open(cal, start)
    assert next_open(cal, start) == start


def test_seconds_precision() -> None:
    cal = office()
    assert add_business_minutes(cal, sp(2025, 6, 2, 17, 59), 1.5) == sp(2025, 6, 3, 8, 0, 30)
    assert business_minutes_between(cal, sp(2025, 6, 2, 17, 59, 30), sp(2025, 6, 3, 8, 0, 15)) == 0.75


def test_is_open_and_next_open_at_the_edges() -> None:
    cal = office()
    assert is_open(cal, sp(2025, 6, 2, 8))
    assert not is_open(cal, sp(2025, 6, 2, 13))
    assert next_open(cal, sp(2025, 6, 2, 13)) == sp(2025, 6, 2, 14)
    assert next_open(cal, sp(2025, 6, 2, 10)) == sp(2025, 6, 2, 10)
    assert next_open(cal, sp(2025, 6, 6, 18)) == sp(2025, 6, 9, 8)


# --- daylight saving ------------------------------------------------------------------------------


def test_spring_forward_night_is_an_hour_shorter() -> None:
    # New York skipped 02:00-03:00 on Sunday 9 March 2025.
    cal = always("America/New_York")
    assert business_minutes_between(cal, ny(2025, 3, 9), ny(2025, 3, 10)) == 23 * 60
    assert add_business_minutes(cal, ny(2025, 3, 9, 1), 120) == ny(2025, 3, 9, 4)
    sunday_early = Calendar.from_dict(
        {
            "timezone": "America/New_York",
            "hours": {"sun": [["01:00", "03:00"], ["03:30", "05:00"]], "mon": [["02:10", "02:50"]]},
        }
    )
    # 01:00-03:00 on that night is one real hour.
    assert business_minutes_between(sunday_early, ny(2025, 3, 9), ny(2025, 3, 9, 3, 30)) == 60
    assert add_business_minutes(sunday_early, ny(2025, 3, 9, 1), 60) == ny(2025, 3, 9, 3)
    assert add_business_minutes(sunday_early, ny(2025, 3, 9, 1), 61) == ny(2025, 3, 9, 3, 31)


def test_window_edge_inside_the_skipped_hour_moves_to_the_jump() -> None:
    cal = Calendar.from_dict({"timezone": "America/New_York", "hours": {"sun": [["02:30", "04:00"]]}})
    # 02:30 did not exist on 9 March 2025: the window opens at 03:00 EDT and lasts one hour.
    assert next_open(cal, ny(2025, 3, 9, 1)) == ny(2025, 3, 9, 3)
    assert business_minutes_between(cal, ny(2025, 3, 9), ny(2025, 3, 10)) == 60
    # A window wholly inside the skipped hour never opens that day.
    gone = Calendar.from_dict({"timezone": "America/New_York", "hours": {"sun": [["02:10", "02:50"]]}})
    assert next_open(gone, ny(2025, 3, 9)) == ny(2025, 3, 16, 2, 10)


def test_fall_back_night_is_an_hour_longer() -> None:
    # New York repeated 01:00-02:00 on Sunday 2 November 2025.
    cal = always("America/New_York")
    assert business_minutes_between(cal, ny(2025, 11, 2), ny(2025, 11, 3)) == 25 * 60
    repeated = Calendar.from_dict({"timezone": "America/New_York", "hours": {"sun": [["01:00", "02:00"]]}})
    # The window opens at the first 01:00 and closes at 02:00, two real hours later.
    assert add_business_minutes(repeated, ny(2025, 11, 2), 90) == ny(2025, 11, 2, 1, 30, fold=1)
    assert business_minutes_between(repeated, ny(2025, 11, 2), ny(2025, 11, 3)) == 120


def test_sao_paulo_midnight_spring_forward_2018() -> None:
    # Brazil's clocks jumped from 00:00 to 01:00 on Sunday 4 November 2018: that midnight never existed.
    cal = Calendar.from_dict(
        {"timezone": "America/Sao_Paulo", "hours": {"sat": [["22:00", "24:00"]], "sun": [["00:00", "02:00"]]}}
    )
    saturday_ten = sp(2018, 11, 3, 22)
    # Saturday's window ends at the jump (two real hours); Sunday's runs 01:00-02:00 (one real hour).
    assert add_business_minutes(cal, saturday_ten, 120) == sp(2018, 11, 4, 1)
    due = add_business_minutes(cal, saturday_ten, 180)
    assert due == sp(2018, 11, 4, 2)
    assert due.utcoffset() == timedelta(hours=-2)
    assert business_minutes_between(cal, saturday_ten, due) == 180
    assert add_business_minutes(cal, saturday_ten, 181) == sp(2018, 11, 10, 22, 1)


def test_office_hours_keep_their_wall_clock_across_dst() -> None:
    cal = Calendar.from_dict({"timezone": "America/New_York", "hours": {d: [["09:00", "17:00"]] for d in WEEKDAYS[:5]}})
    # Friday 7 March 2025 16:00 EST + 120 business minutes lands Monday 10 March 10:00 EDT.
    due = add_business_minutes(cal, ny(2025, 3, 7, 16), 120)
    assert due == ny(2025, 3, 10, 10)
    assert due.utcoffset() == timedelta(hours=-4)
