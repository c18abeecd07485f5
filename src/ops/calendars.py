"""Business-hours calendars and the SLA clock math over them (due times, elapsed business minutes)."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "MAX_MINUTES",
    "WEEKDAYS",
    "Calendar",
    "CalendarError",
    "add_business_minutes",
    "add_business_minutes_each",
    "business_days_between",
    "business_minutes_between",
    "is_open",
    "next_open",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_US_PER_MINUTE = 60_000_000
_ONE_DAY = timedelta(days=1)
# A calendar with weekly hours is open at least once a week unless its holiday list blocks every
# such day; scanning ten years of closed days means the data is wrong, not that work is slow.
_MAX_CLOSED_DAYS = 3660
# The most business minutes one count may add: ten years of every minute (an SLA target is hours or days). A count
# past it is refused at once instead of walking the calendar towards the year 9999.
MAX_MINUTES = 5_256_000
_LAST_DAY = date.max - timedelta(days=1)
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Window = tuple[int, int]
"""An opening window as minutes since local midnight, start < end <= 1440 (1440 is `24:00`)."""

Interval = tuple[int, int]
"""A half-open UTC interval [start, end) in integer microseconds since the Unix epoch."""


class CalendarError(ValueError):
    """A calendar definition is invalid; the message starts with the offending field path."""


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    # Imported here: the package takes ~0.15 s to import and most calendars never need it.
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


@functools.cache
def _subdivisions(country: str) -> tuple[str, ...] | None:
    """The subdivisions the holidays package knows for `country`, or None when it knows no such country. One
    country's module is imported, not the package's whole list (which imports every country: ~0.3 s)."""
    import holidays

    try:
        return tuple(holidays.country_holidays(country, years=[]).subdivisions)
    except NotImplementedError:
        return None


def _check_region(country: str | None, subdivision: str | None) -> None:
    if country is None:
        if subdivision is not None:
            raise CalendarError(f"subdivision: {subdivision!r} given without a country")
        return
    known = _subdivisions(country)
    if known is None:
        raise CalendarError(f"country: {country!r} is not a country the holidays package knows")
    if subdivision is not None and subdivision not in known:
        listed = ", ".join(known) or "none"
        raise CalendarError(f"subdivision: {subdivision!r} is not a subdivision of {country} (known: {listed})")


def _format_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_time(value: Any, path: str, *, is_end: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, str):
        hint = ""
        if isinstance(value, int) and not isinstance(value, bool):
            hint = " (quote times in YAML: it reads an unquoted 13:00 as the number 780)"
        raise CalendarError(f"{path}: {value!r} is not a time 'HH:MM'{hint}")
    match = _TIME_RE.match(value)
    if not match:
        raise CalendarError(f"{path}: {value!r} is not a time 'HH:MM'")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if (hours, minutes) == (24, 0):
        if not is_end:
            raise CalendarError(f"{path}: 24:00 can only end a window")
        return DAY_MINUTES
    if hours > 23 or minutes > 59:
        raise CalendarError(f"{path}: {value!r} is not a time of day")
    return hours * 60 + minutes


def _check_windows(windows: Sequence[Window], path: str) -> None:
    """Check one weekday's windows; `path[i]` refers to the i-th window as given."""
    previous: tuple[int, Window] | None = None
    for i, (start, end) in sorted(enumerate(windows), key=lambda item: item[1]):
        where = f"{path}[{i}]"
        if not (isinstance(start, int) and isinstance(end, int)):
            raise CalendarError(f"{where}: window bounds must be minutes since midnight")
        if not (0 <= start < DAY_MINUTES and 0 < end <= DAY_MINUTES):
            raise CalendarError(f"{where}: window {start}-{end} is outside 00:00-24:00")
        if end <= start:
            raise CalendarError(f"{where}: end {_format_time(end)} is not after start {_format_time(start)}")
        if previous is not None and start < previous[1][1]:
            other = previous[1]
            raise CalendarError(
                f"{where}: {_format_time(start)}-{_format_time(end)} overlaps "
                f"{_format_time(other[0])}-{_format_time(other[1])} ({path}[{previous[0]}])"
            )
        previous = (i, (start, end))


def _parse_date(value: Any, path: str) -> date:
    # YAML reads an unquoted 2025-01-01 as a date already.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(f"{path}: {value!r} is not a date YYYY-MM-DD")


def _optional_code(d: Mapping[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise CalendarError(f"{key}: {value!r} is not a code such as 'BR' or 'SP'")
    return value


@dataclass(frozen=True)
class Calendar:
    """When a queue's SLA clock runs: weekly opening windows in a time zone, minus holidays.

    `hours[i]` holds the windows of weekday i (0 = Monday) as minutes since local midnight, sorted
    and non-overlapping; 1440 is `24:00`. Windows are local wall-clock times: on a daylight-saving
    day a 08:00-18:00 window lasts 10 local hours, which may be 9 or 11 real ones. A window edge that
    falls in the skipped hour of a spring-forward night moves to the first instant after the jump;
    one that falls in the repeated hour of a fall-back night means its first occurrence.

    A holiday (an entry of `holidays`, or a public holiday of `country`/`subdivision` in the
    `holidays` package) closes every window of that local date.
    """

    timezone: ZoneInfo
    hours: tuple[tuple[Window, ...], ...]
    holidays: frozenset[date] = frozenset()
    country: str | None = None
    subdivision: str | None = None
    # One entry per local date touched (a few hundred a year): the walk revisits the same days constantly.
    _days: dict[date, tuple[Interval, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise CalendarError(f"hours: expected 7 weekdays, got {len(self.hours)}")
        for name, windows in zip(WEEKDAYS, self.hours, strict=True):
            _check_windows(windows, f"hours.{name}")
        if not any(self.hours):
            raise CalendarError("hours: the calendar never opens")
        _check_region(self.country, self.subdivision)
        object.__setattr__(self, "hours", tuple(tuple(sorted(w)) for w in self.hours))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Calendar:
        """Build a calendar from its contract-file form (see `to_dict`); errors name the field."""
        if not isinstance(d, Mapping):
            raise CalendarError(f"calendar: expected a mapping, got {type(d).__name__}")
        unknown = set(d) - {"timezone", "hours", "holidays", "country", "subdivision"}
        if unknown:
            raise CalendarError(f"{sorted(map(str, unknown))[0]}: unknown field")

        tz_name = d.get("timezone")
        if not isinstance(tz_name, str) or not tz_name:
            raise CalendarError(f"timezone: {tz_name!r} is not a time zone name such as 'America/Sao_Paulo'")
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"timezone: unknown time zone {tz_name!r}") from None

        raw_hours = d.get("hours")
        if not isinstance(raw_hours, Mapping):
            raise CalendarError("hours: expected a mapping of weekday (mon..sun) to [[start, end], ...]")
        hours: list[list[Window]] = [[] for _ in WEEKDAYS]
        for key, raw_windows in raw_hours.items():
            if key not in WEEKDAYS:
                raise CalendarError(f"hours.{key}: unknown weekday (expected one of {', '.join(WEEKDAYS)})")
            if raw_windows is None:
                continue
            if not isinstance(raw_windows, Sequence) or isinstance(raw_windows, str):
                raise CalendarError(f"hours.{key}: expected a list of [start, end] pairs")
            for i, pair in enumerate(raw_windows):
                path = f"hours.{key}[{i}]"
                if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                    raise CalendarError(f"{path}: expected a [start, end] pair, got {pair!r}")
                start = _parse_time(pair[0], f"{path}[0]", is_end=False)
                end = _parse_time(pair[1], f"{path}[1]", is_end=True)
                if end <= start:
                    raise CalendarError(
                        f"{path}: end {_format_time(end)} is before start {_format_time(start)}"
                        if end < start
                        else f"{path}: window {_format_time(start)}-{_format_time(end)} is empty"
                    )
                hours[WEEKDAYS.index(key)].append((start, end))

        raw_holidays = d.get("holidays") or []
        if not isinstance(raw_holidays, Sequence) or isinstance(raw_holidays, str):
            raise CalendarError("holidays: expected a list of dates YYYY-MM-DD")
        extra = frozenset(_parse_date(v, f"holidays[{i}]") for i, v in enumerate(raw_holidays))

        return cls(
            timezone=tz,
            hours=tuple(tuple(w) for w in hours),
            holidays=extra,
            country=_optional_code(d, "country"),
            subdivision=_optional_code(d, "subdivision"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The contract-file form: `Calendar.from_dict(c.to_dict()) == c`."""
        out: dict[str, Any] = {
            "timezone": self.timezone.key,
            "hours": {
                name: [[_format_time(s), _format_time(e)] for s, e in windows]
                for name, windows in zip(WEEKDAYS, self.hours, strict=True)
                if windows
            },
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
        }
        if self.country is not None:
            out["country"] = self.country
        if self.subdivision is not None:
            out["subdivision"] = self.subdivision
        return out

    def is_holiday(self, day: date) -> bool:
        """Whether `day` (a local date) is closed all day by an explicit or a public holiday."""
        if day in self.holidays:
            return True
        return self.country is not None and day in _public_holidays(self.country, self.subdivision, day.year)

    def is_business_day(self, day: date) -> bool:
        """A date with at least one opening window that is not a holiday."""
        return bool(self.hours[day.weekday()]) and not self.is_holiday(day)

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """The opening windows of local date `day` as sorted UTC microsecond intervals."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        intervals: tuple[Interval, ...] = ()
        if self.is_business_day(day):
            spans = ((self._wall_to_us(day, s), self._wall_to_us(day, e)) for s, e in self.hours[day.weekday()])
            # A window entirely inside a skipped DST hour collapses to nothing.
            intervals = tuple((a, b) for a, b in spans if a < b)
        self._days[day] = intervals
        return intervals

    def _wall_to_us(self, day: date, minute: int) -> int:
        if minute == DAY_MINUTES:
            day, minute = day + _ONE_DAY, 0
        naive = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
        after = _to_us(naive.replace(tzinfo=self.timezone))
        if datetime.fromtimestamp(after // 1_000_000, self.timezone).replace(tzinfo=None) == naive:
            return after
        # `naive` was skipped by a spring-forward jump: fold=1 reads it with the new offset (before the
        # jump), fold=0 with the old one (after it). The jump itself, found by bisection on whole
        # seconds (tz transitions are whole seconds), is the first real instant at or after `naive`.
        lo = _to_us(naive.replace(tzinfo=self.timezone, fold=1)) // 1_000_000
        hi = after // 1_000_000
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, self.timezone).replace(tzinfo=None) >= naive:
                hi = mid
            else:
                lo = mid
        return hi * 1_000_000

    def local_date(self, at: datetime) -> date:
        return _aware(at, "at").astimezone(self.timezone).date()


def _aware(dt: datetime, name: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {dt.isoformat()}")
    return dt


def _to_us(dt: datetime) -> int:
    return (dt - _EPOCH) // _US


def _from_us(us: int, tz: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz)


def _merge_pauses(pauses: Sequence[tuple[datetime, datetime]]) -> list[Interval]:
    spans: list[Interval] = []
    for i, (start, end) in enumerate(pauses):
        a, b = _to_us(_aware(start, f"pauses[{i}] start")), _to_us(_aware(end, f"pauses[{i}] end"))
        if b < a:
            raise ValueError(f"pauses[{i}]: end {end.isoformat()} is before start {start.isoformat()}")
        if a < b:
            spans.append((a, b))
    spans.sort()
    merged: list[Interval] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _windows_from(cal: Calendar, start_us: int) -> Iterator[Interval]:
    """Opening windows (UTC microseconds) that end after `start_us`, clipped to it, in order, forever."""
    # Start a day early: a window of yesterday's date can still be open at local midnight's edges.
    day = _from_us(start_us, cal.timezone).date() - _ONE_DAY
    closed_run = 0
    while True:
        intervals = cal.day_intervals(day)
        closed_run = 0 if intervals else closed_run + 1
        if closed_run > _MAX_CLOSED_DAYS:
            raise CalendarError(f"hours: the calendar stays closed for {_MAX_CLOSED_DAYS} days after {day}")
        for a, b in intervals:
            if b > start_us:
                yield max(a, start_us), b
        day += _ONE_DAY
        if day >= _LAST_DAY:  # its windows could end past 9999-12-31 in UTC, which no datetime holds
            raise CalendarError(f"hours: the count runs past the last date a count can reach ({_LAST_DAY})")


def _open_segments(cal: Calendar, start_us: int, pauses: list[Interval]) -> Iterator[Interval]:
    """Non-empty stretches of counting time (open and not paused) from `start_us` on, in order."""
    first_pause = 0
    for a, b in _windows_from(cal, start_us):
        while first_pause < len(pauses) and pauses[first_pause][1] <= a:
            first_pause += 1
        cursor = a
        j = first_pause
        while j < len(pauses) and pauses[j][0] < b and cursor < b:
            pause_start, pause_end = pauses[j]
            if pause_start > cursor:
                yield cursor, pause_start
            cursor = max(cursor, pause_end)
            j += 1
        if cursor < b:
            yield cursor, b


def _minutes_us(minutes: float) -> int:
    """Minutes as whole microseconds, rounded as `timedelta` rounds them."""
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a finite number >= 0, got {minutes}")
    if minutes > MAX_MINUTES:
        raise ValueError(f"minutes must be at most {MAX_MINUTES} (ten years), got {minutes:g}")
    if isinstance(minutes, int) or minutes.is_integer():  # the usual target: exact without timedelta's arithmetic
        return int(minutes) * _US_PER_MINUTE
    return round(timedelta(minutes=minutes) / _US)


def add_business_minutes(
    cal: Calendar,
    start: datetime,
    minutes: float,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> datetime:
    """The instant at which `minutes` of counting time have passed since `start`, in `cal`'s zone.

    Counting time is time inside an opening window and outside every pause. The answer is the
    earliest instant at which the count is reached, so a deadline that lands exactly at closing
    time (or at a pause's start) stays there instead of rolling to the next opening; adding more
    minutes from that instant carries on in the next window. This makes the clock additive:
    `add(add(s, a), b) == add(s, a + b)` for any a, b >= 0 with the same pauses.

    Zero minutes returns `start` itself (converted to the calendar's zone), even when the calendar is
    closed then: nothing has to happen, so nothing is late. Minutes are kept to the microsecond.
    """
    return add_business_minutes_each(cal, start, (minutes,), pauses)[0]


def add_business_minutes_each(
    cal: Calendar,
    start: datetime,
    minutes: Sequence[float],
    pauses: Sequence[tuple[datetime, datetime]] = (),
    zone: tzinfo | None = None,
) -> list[datetime]:
    """`add_business_minutes(cal, start, m, pauses)` for every `m` of `minutes`, in the same order, from one walk of
    the calendar (a ticket's first-response and resolution deadlines start at the same instant); in `zone`, the
    calendar's by default."""
    zone = zone or cal.timezone
    wanted = sorted((_minutes_us(m), i) for i, m in enumerate(minutes))
    start_us = _to_us(_aware(start, "start"))
    out: list[datetime] = [start] * len(wanted)
    k = 0
    while k < len(wanted) and wanted[k][0] == 0:
        out[wanted[k][1]] = start.astimezone(zone)
        k += 1
    if k == len(wanted):
        return out
    # Without pauses the counting time is the opening windows themselves (the usual case: a new ticket's deadlines).
    segments = _open_segments(cal, start_us, _merge_pauses(pauses)) if pauses else _windows_from(cal, start_us)
    counted = 0  # counting time (microseconds) in the segments before the current one
    for a, b in segments:
        # The earliest instant a count is reached: one landing on a segment's end stays there.
        while wanted[k][0] - counted <= b - a:
            out[wanted[k][1]] = _from_us(a + wanted[k][0] - counted, zone)
            k += 1
            if k == len(wanted):
                return out
        counted += b - a
    raise AssertionError("unreachable: _windows_from is endless")  # pragma: no cover


def business_minutes_between(
    cal: Calendar,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> float:
    """Counting minutes (open, not paused) in [start, end), to the microsecond; 0 when end == start.

    The inverse of `add_business_minutes`: `between(s, add(s, m)) == m` for m >= 0.
    Raises `ValueError` when `end` is before `start`.
    """
    start_us, end_us = _to_us(_aware(start, "start")), _to_us(_aware(end, "end"))
    if end_us < start_us:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    total = 0
    for a, b in _open_segments(cal, start_us, _merge_pauses(pauses)):
        if a >= end_us:
            break
        total += min(b, end_us) - a
    return total / _US_PER_MINUTE


def open_windows(cal: Calendar, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """The calendar's open stretches within [start, end) as Unix seconds, in order: what a page's script needs to
    count business minutes down while it stays open (the minutes it shows stay the SLA clock's)."""
    start_us, end_us = _to_us(_aware(start, "start")), _to_us(_aware(end, "end"))
    out: list[tuple[int, int]] = []
    for a, b in _open_segments(cal, start_us, []):
        if a >= end_us:
            break
        out.append((a // 1_000_000, min(b, end_us) // 1_000_000))
    return out


def is_open(cal: Calendar, at: datetime) -> bool:
    """Whether `at` lies inside an opening window; windows are half-open, so closed at closing time."""
    at_us = _to_us(_aware(at, "at"))
    day = cal.local_date(at)
    return any(a <= at_us < b for d in (day - _ONE_DAY, day) for a, b in cal.day_intervals(d))


def next_open(cal: Calendar, at: datetime) -> datetime:
    """`at` itself when the calendar is open then, else the start of the next opening window."""
    a, _ = next(_windows_from(cal, _to_us(_aware(at, "at"))))
    return _from_us(a, cal.timezone)


def business_days_between(cal: Calendar, start_date: date, end_date: date) -> int:
    """Business days in (start_date, end_date]: the days after `start_date` up to and including `end_date`.

    A business day is a local date with at least one opening window that is not a holiday. This is
    how "answered in N days" counts: a demand opened on Monday and answered on Wednesday took 2 days,
    and with every day a business day the result equals `(end_date - start_date).days`. A demand
    answered on the day it was opened took 0. When `end_date` is before `start_date` the result is
    minus the count over (end_date, start_date].
    """
    if end_date < start_date:
        return -business_days_between(cal, end_date, start_date)
    count = 0
    day = start_date + _ONE_DAY
    while day <= end_date:
        count += cal.is_business_day(day)
        day += _ONE_DAY
    return count
