"""The open stretches a page's script counts business minutes down over: the same minutes as the clock math."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ops.calendars import Calendar, add_business_minutes, open_windows

SP = ZoneInfo("America/Sao_Paulo")
CAL = Calendar.from_dict(
    {"timezone": "America/Sao_Paulo", "hours": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue")}}
)


def test_open_windows_are_the_calendars_stretches_and_sum_to_its_business_minutes() -> None:
    start = datetime(2026, 3, 2, 11, 0, tzinfo=SP)  # a Monday
    windows = open_windows(CAL, start, start + timedelta(hours=24))
    as_times = [
        (datetime.fromtimestamp(a, SP).strftime("%a %H:%M"), datetime.fromtimestamp(b, SP).strftime("%a %H:%M"))
        for a, b in windows
    ]
    assert as_times == [("Mon 11:00", "Mon 12:00"), ("Mon 13:00", "Mon 18:00"), ("Tue 08:00", "Tue 11:00")]
    # 540 business minutes from Monday 11:00 end on Tuesday 11:00, where the stretches end.
    assert add_business_minutes(CAL, start, sum(b - a for a, b in windows) / 60) == datetime(
        2026, 3, 3, 11, 0, tzinfo=SP
    )
