"""The interval table and the counting of normalised call records into it (pure: frames in, frames out)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd

# The interval table, the one shape every voice figure is computed from. `interval_start` is a
# tz-aware UTC timestamp of the start of a 30-minute interval of the queue's local clock; the
# counts are int64 and the sums float64 seconds. `answered_within`, `abandoned_within` and
# `short_abandons` depend on the thresholds used when the table was built (see aggregate_calls).
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

# A normalised per-call frame, what every reader returns and aggregate_calls takes. `entered_at`
# is when the call entered the queue: naive (a wall time of the log's zone) or tz-aware.
CALL_COLUMNS = ("call_id", "entered_at", "outcome", "wait_seconds", "handle_seconds")
# Only answered and abandoned calls were offered to the queue; the other outcomes are kept so an
# import can say how many records it skipped and so a day with only those still counts as logged.
OUTCOMES = ("answered", "abandoned", "unqueued", "phantom")

INTERVAL = pd.Timedelta(minutes=30)
_INTERVAL_NS = 30 * 60 * 10**9
_DAY_NS = 86_400 * 10**9
_SECOND_NS = 10**9


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


def localize(naive: pd.Series, tz: ZoneInfo) -> pd.Series:
    # A wall time without an offset cannot say which of a repeated (fall-back) hour it was: take
    # the first; a time in a spring-forward gap moves to the end of the gap.
    ambiguous = np.ones(len(naive), dtype=bool)
    return naive.dt.tz_localize(tz, ambiguous=ambiguous, nonexistent="shift_forward").dt.tz_convert("UTC")


def _localize_index(naive_ns: npt.NDArray[np.int64], tz: ZoneInfo) -> npt.NDArray[np.int64]:
    index = pd.DatetimeIndex(naive_ns.astype("datetime64[ns]"))
    local = index.tz_localize(tz, ambiguous=np.ones(len(index), dtype=bool), nonexistent="shift_forward")
    result: npt.NDArray[np.int64] = local.as_unit("ns").asi8
    return result


# --- aggregation ---------------------------------------------------------------------------


def aggregate_calls(
    calls: pd.DataFrame,
    *,
    queue: str,
    timezone: str,
    answer_within: int = 20,
    short_abandon_seconds: int = 5,
    fill_days: bool = True,
) -> pd.DataFrame:
    """Count a CALL_COLUMNS frame into the 30-minute intervals of `queue` (INTERVAL_COLUMNS).

    An interval of the queue's local clock in `timezone` holds the calls that entered the queue in
    [start, start + 30 min). Offered = answered + abandoned; "within T" is wait <= T, so
    answered_within and abandoned_within use `answer_within`, and a short abandon is abandoned
    with wait <= `short_abandon_seconds`. wait_seconds and handle_seconds sum over answered calls.
    Naive `entered_at` values are wall times of `timezone`. With `fill_days`, every interval of
    every local day that has at least one record (of any outcome) is listed, with zeros where no
    call entered, so a quiet half hour is told apart from a day missing from the log.
    """
    tz = zone(timezone)
    missing = [c for c in CALL_COLUMNS[1:] if c not in calls.columns]
    if missing:
        raise ValueError(f"calls frame lacks columns {', '.join(missing)}")
    if answer_within < 0 or short_abandon_seconds < 0:
        raise ValueError("answer_within and short_abandon_seconds must be >= 0")
    if len(calls) == 0:
        return empty_intervals()

    found, names = pd.factorize(calls["outcome"])
    known = pd.Index(OUTCOMES).get_indexer(pd.Index(names).astype(str))
    if (known < 0).any() or (found < 0).any():
        unknown = sorted(str(n) for n, k in zip(names, known, strict=True) if k < 0)
        raise ValueError(f"unknown call outcomes {unknown or ['(missing)']}; expected {list(OUTCOMES)}")
    codes = known[found]
    answered = codes == 0
    abandoned = codes == 1
    offered = answered | abandoned
    wait = calls["wait_seconds"].to_numpy(dtype=np.float64)
    handle = calls["handle_seconds"].to_numpy(dtype=np.float64)
    _check_durations(wait, offered, "wait_seconds")
    _check_durations(handle, answered, "handle_seconds")

    entered = calls["entered_at"]
    if not pd.api.types.is_datetime64_any_dtype(entered):
        raise ValueError("entered_at must be datetimes")
    if entered.isna().any():
        raise ValueError("entered_at has missing values")
    stamps = pd.DatetimeIndex(entered).as_unit("ns")
    if stamps.tz is None:
        wall = stamps.asi8
        keys, key_codes = _wall_keys(wall, tz)
    else:
        wall = stamps.tz_convert(tz).tz_localize(None).asi8
        offset = wall - stamps.asi8
        key_codes, uniques = pd.factorize(_floor(wall, _INTERVAL_NS) - offset)
        keys = np.asarray(uniques, dtype=np.int64)

    starts = np.unique(keys)
    if fill_days:
        days = np.unique(_floor(wall, _DAY_NS))
        starts = np.union1d(starts, _day_grid(days, tz))
    order = np.searchsorted(starts, keys)
    slot = order[key_codes]
    n = len(starts)

    def count(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        return np.bincount(slot[mask], minlength=n).astype(np.int64)

    def total(values: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        return np.bincount(slot[mask], weights=values[mask], minlength=n).astype(np.float64)

    answered_n = count(answered)
    abandoned_n = count(abandoned)
    values: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.int64]] = {
        "offered": answered_n + abandoned_n,
        "answered": answered_n,
        "answered_within": count(answered & (wait <= answer_within)),
        "abandoned": abandoned_n,
        "abandoned_within": count(abandoned & (wait <= answer_within)),
        "short_abandons": count(abandoned & (wait <= short_abandon_seconds)),
        "handle_seconds": total(handle, answered),
        "wait_seconds": total(wait, answered),
    }
    index = pd.DatetimeIndex(starts.astype("datetime64[ns]")).tz_localize("UTC")
    return _interval_frame(queue, index, values)


def _check_durations(values: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_], column: str) -> None:
    bad = mask & ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        raise ValueError(f"{int(bad.sum())} offered calls have a missing or negative {column}")


def _floor(ns: npt.NDArray[np.int64], step: int) -> npt.NDArray[np.int64]:
    result: npt.NDArray[np.int64] = ns - np.mod(ns, step)
    return result


def _wall_keys(wall: npt.NDArray[np.int64], tz: ZoneInfo) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """UTC starts of the local intervals of naive wall times, and each call's index into them."""
    codes, naive_keys = pd.factorize(_floor(wall, _INTERVAL_NS))
    utc_keys = _localize_index(np.asarray(naive_keys, dtype=np.int64), tz)
    # Two wall-time intervals can meet in one UTC interval (a spring-forward gap): merge them.
    merged, keys = pd.factorize(utc_keys)
    return np.asarray(keys, dtype=np.int64), merged[codes]


def _day_grid(days_ns: npt.NDArray[np.int64], tz: ZoneInfo) -> npt.NDArray[np.int64]:
    """UTC starts of every 30-minute interval of the given local days (46, 48 or 50 a day)."""
    starts = _localize_index(days_ns, tz)
    ends = _localize_index(days_ns + _DAY_NS, tz)
    counts = (ends - starts) // _INTERVAL_NS
    steps = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    result: npt.NDArray[np.int64] = np.repeat(starts, counts) + steps * _INTERVAL_NS
    return result
