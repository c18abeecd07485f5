"""The interval table and the rules that place a call in it: a zone's wall times and offsets as segments (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd

# The interval table, the one shape every voice figure is computed from. `interval_start` is a
# tz-aware UTC timestamp of the start of a 30-minute interval of the queue's local clock; the
# counts are int64 and the sums float64 seconds. `answered_within`, `abandoned_within` and
# `short_abandons` depend on the thresholds used when the table was built (see ops.staffing.history.counting).
INTERVAL_COLUMNS = (
    "queue",
    "interval_start",
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_within",
    "short_abandons",
    "handle_seconds",
    "wait_seconds",
)
COUNT_COLUMNS = INTERVAL_COLUMNS[2:8]
SUM_COLUMNS = INTERVAL_COLUMNS[8:]

# A normalised per-call frame (what the counting engine reads from every format). `entered_at`
# is when the call entered the queue: naive (a wall time of the log's zone) or tz-aware.
CALL_COLUMNS = ("call_id", "entered_at", "outcome", "wait_seconds", "handle_seconds")
# Only answered and abandoned calls were offered to the queue; the other outcomes are kept so an
# import can say how many records it skipped and so a day with only those still counts as logged.
# `unfinished`: a queue_log call whose entry or end is not in the log.
OUTCOMES = ("answered", "abandoned", "unqueued", "phantom", "unfinished")

INTERVAL = pd.Timedelta(minutes=30)
INTERVAL_US = 30 * 60 * 10**6
DAY_US = 86_400 * 10**6
_SECOND_US = 10**6
# Offsets are scanned this often for a change, then bisected to the second: no zone has changed
# its offset and back again within six hours.
_SCAN_SECONDS = 6 * 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def zone(timezone: str) -> ZoneInfo:
    """The IANA zone named `timezone`, or ValueError."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc


def empty_intervals() -> pd.DataFrame:
    """An interval table with no rows and the right dtypes."""
    return _interval_frame("", pd.DatetimeIndex([], tz="UTC").as_unit("ns"), {})


def _interval_frame(
    queue: str, starts: pd.DatetimeIndex, values: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.int64]]
) -> pd.DataFrame:
    n = len(starts)
    data: dict[str, object] = {
        "queue": pd.Series([queue] * n, dtype="str"),
        "interval_start": pd.Series(starts, dtype="datetime64[ns, UTC]").reset_index(drop=True),
    }
    for name in COUNT_COLUMNS:
        data[name] = pd.Series(values.get(name, np.zeros(n, np.int64)), dtype="int64")
    for name in SUM_COLUMNS:
        data[name] = pd.Series(values.get(name, np.zeros(n)), dtype="float64")
    return pd.DataFrame(data, columns=list(INTERVAL_COLUMNS))


def interval_table(
    queues: Sequence[str],
    starts_us: npt.NDArray[np.int64],
    values: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.int64]],
) -> pd.DataFrame:
    """INTERVAL_COLUMNS from per-row queue codes, UTC interval starts in microseconds and the value columns."""
    frame = _interval_frame(
        "",
        pd.DatetimeIndex(np.asarray(starts_us, dtype=np.int64) * 1000).tz_localize("UTC"),
        values,
    )
    frame["queue"] = pd.Series(list(queues), dtype="str")
    return frame


# --- the queue's clock: a zone's offsets as segments ----------------------------------------------
#
# The counting engine converts times with these tables, so that every rule of the conversion lives
# here, in zoneinfo's terms, whatever engine applies it. A wall time without an offset cannot say
# which of a repeated (fall-back) hour it was: it is taken as the first; a time in a spring-forward
# gap moves to the end of the gap (the first instant that exists), as pandas' tz_localize does with
# ambiguous=True and nonexistent="shift_forward".


@dataclass(frozen=True)
class Transition:
    """The zone's UTC offset changes at `at` (UTC seconds) from `before` to `after` (seconds east of UTC)."""

    at: int
    before: int
    after: int


def _offset(tz: ZoneInfo, seconds: int) -> int:
    offset = (_EPOCH + timedelta(seconds=seconds)).astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return int(offset.total_seconds())


@lru_cache(maxsize=256)
def transitions(timezone: str, first_s: int, last_s: int) -> tuple[int, tuple[Transition, ...]]:
    """The offset at UTC second `first_s` and every change of it up to `last_s`."""
    tz = zone(timezone)
    first = _offset(tz, first_s)
    found: list[Transition] = []
    previous, before = first_s, first
    for now in range(first_s + _SCAN_SECONDS, last_s + _SCAN_SECONDS, _SCAN_SECONDS):
        after = _offset(tz, now)
        if after != before:
            low, high = previous, now  # offset(low) == before, offset(high) == after
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(tz, middle) == before:
                    low = middle
                else:
                    high = middle
            found.append(Transition(high, before, after))
        previous, before = now, after
    return first, tuple(found)


def _span(first_us: int, last_us: int) -> tuple[int, int]:
    # Two days either side: a wall time is at most a day from its instant, and a day's grid reads
    # the start of the next day.
    return first_us // _SECOND_US - 2 * 86_400, last_us // _SECOND_US + 2 * 86_400


def wall_segments(timezone: str, first_us: int, last_us: int) -> pd.DataFrame:
    """How wall times of `timezone` between `first_us` and `last_us` (naive microseconds) become instants.

    Columns `wall_start`, `offset` and `fixed` (microseconds): a wall time w at or after `wall_start`
    (and before the next row's) is the instant w - `offset`, or `fixed` when that is set (a gap).
    """
    start, stop = _span(first_us, last_us)
    first, changes = transitions(timezone, start, stop)
    rows: list[tuple[int, int, int | None]] = [(-(2**62), first, None)]
    for change in changes:
        if change.after > change.before:  # spring forward: wall times of the gap land on its end
            rows.append((change.at + change.before, change.before, change.at))
        # fall back: the repeated wall times belong to the earlier offset, until its end
        rows.append((change.at + max(change.before, change.after), change.after, None))
    return pd.DataFrame(
        {
            "wall_start": [r[0] if r[0] == -(2**62) else r[0] * _SECOND_US for r in rows],
            "offset": [r[1] * _SECOND_US for r in rows],
            "fixed": pd.array([None if r[2] is None else r[2] * _SECOND_US for r in rows], dtype="Int64"),
        }
    )


def instant_segments(timezone: str, first_us: int, last_us: int) -> pd.DataFrame:
    """The offset of `timezone` from UTC instant `start` on (microseconds), around first_us..last_us."""
    start, stop = _span(first_us, last_us)
    first, changes = transitions(timezone, start, stop)
    return pd.DataFrame(
        {
            "start": [-(2**62), *(c.at * _SECOND_US for c in changes)],
            "offset": [first * _SECOND_US, *(c.after * _SECOND_US for c in changes)],
        }
    )


def interval_cuts(timezone: str, first_us: int, last_us: int) -> tuple[int, ...]:
    """Points (microseconds into a UTC half hour, 0 excluded) where the queue's intervals or offsets
    may change inside a UTC half hour around first_us..last_us: empty for zones whose offsets are
    whole half hours, so that instants are grouped by UTC half hour before any conversion."""
    start, stop = _span(first_us, last_us)
    first, changes = transitions(timezone, start, stop)
    points = {-first % 1800, *(-c.after % 1800 for c in changes), *(c.at % 1800 for c in changes)}
    return tuple(sorted(p * _SECOND_US for p in points if p))
