"""The wallboard's rules, pure: today's counters from a platform's readings (posted since midnight, or polled from
counters that run since the platform's last reset), today's service level so far by the contract's formula, and
the amber and red level of each figure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from ops.reports.metrics import KpiCounts, ServiceLevelFormula

Level = Literal["ok", "amber", "red"]
# A reading before midnight at most this long is close enough to take the day's counts from (the calls between
# it and midnight are counted in the new day); after a longer silence today starts at the first new reading.
MIDNIGHT_GRACE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Counters:
    """Calls of a queue counted over some span: answered (within T of them) and abandoned (within T, short)."""

    answered: int = 0
    abandoned: int = 0
    answered_within: int = 0
    abandoned_within: int = 0
    short_abandons: int = 0

    def __add__(self, other: Counters) -> Counters:
        return Counters(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: Counters) -> Counters:
        return Counters(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    def covers(self, other: Counters) -> bool:
        """Every counter at least the other's: the same run of counters, later (no reset between)."""
        return all(getattr(self, f.name) >= getattr(other, f.name) for f in fields(self))

    @property
    def offered(self) -> int:
        return self.answered + self.abandoned

    def kpi(self) -> KpiCounts:
        return KpiCounts(
            offered=self.offered,
            answered=self.answered,
            answered_within=self.answered_within,
            abandoned=self.abandoned,
            abandoned_within=self.abandoned_within,
            short_abandons=self.short_abandons,
        )

    def problems(self) -> list[tuple[str, str]]:
        """(field, problem) of counters that cannot be true together."""
        found = []
        if self.answered_within > self.answered:
            found.append(("answered_within", f"{self.answered_within} is more than the {self.answered} answered"))
        if self.abandoned_within > self.abandoned:
            found.append(("abandoned_within", f"{self.abandoned_within} is more than the {self.abandoned} abandoned"))
        if self.short_abandons > self.abandoned:
            found.append(("short_abandons", f"{self.short_abandons} is more than the {self.abandoned} abandoned"))
        return found


@dataclass(frozen=True, slots=True)
class Reading:
    """What the telephony platform reports of one of its queues at one moment."""

    queue: str  # the platform's name of the queue
    calls_waiting: int
    longest_wait_seconds: int
    agents_logged_in: int
    agents_available: int
    agents_on_call: int
    agents_paused: int
    counters: Counters
    threshold_seconds: int | None = None  # the T its "answered within" counted against, when it says

    def problems(self, answer_within_seconds: int) -> list[tuple[str, str]]:
        """(field, problem) of figures that cannot be true together, or do not fit the contract's queue."""
        found = self.counters.problems()
        for name in ("agents_available", "agents_on_call", "agents_paused"):
            if getattr(self, name) > self.agents_logged_in:
                found.append((name, f"{getattr(self, name)} is more than the {self.agents_logged_in} logged in"))
        if self.threshold_seconds is not None and self.threshold_seconds != answer_within_seconds:
            found.append(
                (
                    "threshold_seconds",
                    f"answered within {self.threshold_seconds} s, but the contract's queue counts within "
                    f"{answer_within_seconds} s: set the platform's service-level threshold to {answer_within_seconds}",
                )
            )
        return found


@dataclass(frozen=True, slots=True)
class Today:
    """Today's counters of a queue as stored: the local day, the counters since `counted_from` (local midnight,
    or the first reading when the day's start was not seen), and the platform's raw counters they came from
    (None when the platform counts from midnight itself)."""

    day: date
    counted_from: datetime
    counters: Counters
    raw: Counters | None
    observed_at: datetime


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def posted_today(counters: Counters, observed_at: datetime, tz: ZoneInfo) -> Today:
    """Counters the platform counts from the contract's local midnight (the API's promise)."""
    day = observed_at.astimezone(tz).date()
    return Today(day, local_midnight(day, tz), counters, None, observed_at)


def carried_today(raw: Counters, observed_at: datetime, tz: ZoneInfo, previous: Today | None) -> Today:
    """Today's counters from a platform's counters that run since its last reset (Asterisk's Completed and
    Abandoned): each reading adds what grew since the one before; a counter that went down was reset, and counts
    again from zero. The first reading of a day takes over from the last one before midnight when that was
    recent, else today is counted from this reading on (and says so)."""
    day = observed_at.astimezone(tz).date()
    if previous is None or previous.raw is None or previous.observed_at > observed_at:
        return Today(day, observed_at, Counters(), raw, observed_at)
    grown = raw - previous.raw if raw.covers(previous.raw) else raw
    if previous.day == day:
        return Today(day, previous.counted_from, previous.counters + grown, raw, observed_at)
    midnight = local_midnight(day, tz)
    if previous.day == day - timedelta(days=1) and midnight - previous.observed_at <= MIDNIGHT_GRACE:
        return Today(day, midnight, grown, raw, observed_at)
    return Today(day, observed_at, Counters(), raw, observed_at)


def counters_on(today: Today | None, day: date) -> Counters:
    """The counters of `day`: none when the latest stored are of an earlier day (no call seen yet today)."""
    return today.counters if today is not None and today.day == day else Counters()


INTERVAL = timedelta(minutes=30)


def before_live(
    intervals: Sequence[tuple[datetime, Counters]], *, midnight: datetime, live_from: datetime | None, now: datetime
) -> tuple[Counters, datetime | None]:
    """What the interval table adds to today's live counters: its intervals of today that ended by the time the
    live counting began (all those ended by now when nothing is counted live), so no call is counted twice; and
    the end of the last one taken (None when none is)."""
    cutoff = live_from if live_from is not None else now
    taken = [(start, counters) for start, counters in intervals if start >= midnight and start + INTERVAL <= cutoff]
    if not taken:
        return Counters(), None
    return sum((c for _, c in taken), Counters()), max(start for start, _ in taken) + INTERVAL


def service_level(counters: Counters, formula: ServiceLevelFormula) -> float | None:
    """Today's service level so far, by the contract's formula (None before any call counts)."""
    return counters.kpi().service_level(formula)


@dataclass(frozen=True, slots=True)
class Below:
    """Levels of a figure where lower is worse (the service level): amber under `amber`, red under `red`."""

    amber: float
    red: float

    def level(self, value: float | None) -> Level | None:
        if value is None:
            return None
        return "red" if value < self.red else "amber" if value < self.amber else "ok"


@dataclass(frozen=True, slots=True)
class AtLeast:
    """Levels of a figure where higher is worse (calls waiting, the longest wait): amber from `amber`, red from
    `red`."""

    amber: float
    red: float

    def level(self, value: float | None) -> Level | None:
        if value is None:
            return None
        return "red" if value >= self.red else "amber" if value >= self.amber else "ok"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A queue's wallboard levels."""

    service_level: Below
    calls_waiting: AtLeast
    longest_wait_seconds: AtLeast


def default_thresholds(target: float, answer_within_seconds: int) -> Thresholds:
    """Without the contract's levels: amber below the queue's target, red 10 points under it; a call waiting past
    T amber, past three times T red; 5 calls waiting amber, 10 red."""
    return Thresholds(
        Below(target, max(0.0, target - 0.1)),
        AtLeast(5, 10),
        AtLeast(answer_within_seconds, 3 * answer_within_seconds),
    )


def worst(*levels: Level | None) -> Level | None:
    order: tuple[Level, ...] = ("ok", "amber", "red")
    found = [order.index(lv) for lv in levels if lv is not None]
    return order[max(found)] if found else None


def is_stale(observed_at: datetime | None, now: datetime, stale_after: timedelta) -> bool:
    """No reading at all, or the latest older than the contract allows: the figures on the board are not live."""
    return observed_at is None or now - observed_at > stale_after
