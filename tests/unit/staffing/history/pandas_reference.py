"""The pandas path that counted call logs before DuckDB did, kept as the reference the engine is checked against."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from ops.staffing.history.intervals import CALL_COLUMNS, COUNT_COLUMNS, INTERVAL_COLUMNS, SUM_COLUMNS, zone

OUTCOMES = ("answered", "abandoned", "unqueued", "phantom")
_INTERVAL_NS = 30 * 60 * 10**9
_DAY_NS = 86_400 * 10**9

PathOrBuffer = str | Path | IO[str]
_SECOND_NS = 10**9


# --- readers -------------------------------------------------------------------------------

_AB_COLUMNS = (
    "vru+line",
    "call_id",
    "date",
    "vru_entry",
    "vru_exit",
    "q_start",
    "q_time",
    "outcome",
    "ser_time",
)


def read_anonymous_bank(source: PathOrBuffer, *, timezone: str | None = None) -> pd.DataFrame:
    """Parse an Anonymous Bank per-call CSV into the CALL_COLUMNS frame.

    A record enters the queue at `q_start`, or at `vru_exit` when it never queued (`q_start`
    0:00:00 with `q_time` 0; with `q_time` > 0 it really queued at midnight). AGENT is answered
    (whatever its server or service time), HANG with `q_time` > 0 abandoned, HANG with `q_time` 0
    unqueued, PHANTOM phantom. A time more than 12 hours before `vru_entry` is on the next day
    (calls crossing midnight); a smaller step back is the log's clock skew. Wait = `q_time`,
    handle = `ser_time`. Times stay naive wall times unless `timezone` names their zone.
    """
    # Categorical columns: a month holds a few thousand distinct clock times, so each is parsed
    # once instead of once per call.
    try:
        raw = pd.read_csv(
            source,
            usecols=list(_AB_COLUMNS),
            dtype=dict.fromkeys(_AB_COLUMNS, "category") | {"call_id": str, "q_time": "int64", "ser_time": "int64"},
            keep_default_na=False,
            skipinitialspace=True,
        )
    except ValueError as exc:
        raise ValueError(f"not an Anonymous Bank call log: {exc}") from exc
    day_ns = _by_category(raw["date"], _parse_yymmdd, "date")
    vru_entry = _by_category(raw["vru_entry"], _parse_clock, "vru_entry")
    vru_exit = _by_category(raw["vru_exit"], _parse_clock, "vru_exit")
    q_start = _by_category(raw["q_start"], _parse_clock, "q_start")
    q_time = raw["q_time"].to_numpy(dtype=np.int64)
    ser_time = raw["ser_time"].to_numpy(dtype=np.int64)

    queued = (q_start != 0) | (q_time != 0)
    clock = np.where(queued, q_start, vru_exit)
    next_day = clock < vru_entry - 43_200
    entered_ns = day_ns + (clock + next_day * 86_400) * _SECOND_NS

    kind = _by_category(raw["outcome"], _parse_outcome, "outcome")
    hang = kind == -2
    codes = np.where(hang, np.where(q_time > 0, 1, 2), kind).astype(np.int8)

    entered = pd.Series(entered_ns.astype("datetime64[ns]"))
    if timezone is not None:
        entered = localize(entered, zone(timezone))
    return pd.DataFrame(
        {
            "call_id": raw["call_id"],
            "entered_at": entered,
            "outcome": pd.Categorical.from_codes(codes, categories=OUTCOMES),
            "wait_seconds": q_time.astype(np.float64),
            "handle_seconds": ser_time.astype(np.float64),
        },
        columns=list(CALL_COLUMNS),
    )


Parser = Callable[[pd.Index], tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]]


def _by_category(values: pd.Series, parse: Parser, column: str) -> npt.NDArray[np.int64]:
    """Parse the categories of a categorical column and spread the results over its rows."""
    categories = pd.Index(values.cat.categories.astype(str))
    parsed, ok = parse(categories)
    codes = values.cat.codes.to_numpy()
    if not ok.all() or (codes < 0).any():
        good = np.append(ok, False)  # code -1 (missing) reads the appended False
        row = int(np.flatnonzero(~good[codes])[0])
        raise ValueError(f"row {row + 2}: bad {column} {values.iloc[row]!r}")
    result: npt.NDArray[np.int64] = parsed[codes]
    return result


def _parse_outcome(categories: pd.Index) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    # -2 marks HANG, split by q_time afterwards.
    kinds = {"AGENT": 0, "HANG": -2, "PHANTOM": 3}
    parsed = np.array([kinds.get(c.strip().upper(), -9) for c in categories], dtype=np.int64)
    return parsed, parsed != -9


_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")


def read_cdr(source: PathOrBuffer, *, timezone: str | None = None) -> pd.DataFrame:
    """Parse a generic CDR CSV into the CALL_COLUMNS frame.

    Columns (header required, others ignored): `call_id`; `queue_entered_at`, ISO 8601, either
    all with a UTC offset (`2026-03-02T08:15:00-03:00`, `...Z`) or all without (wall times of
    `timezone`, or kept naive); `wait_seconds` >= 0; `outcome` `answered` or `abandoned`;
    `handle_seconds` >= 0, may be empty for an abandoned call.
    """
    raw = pd.read_csv(source, dtype=str, keep_default_na=False, skipinitialspace=True)
    required = ("call_id", "queue_entered_at", "wait_seconds", "outcome", "handle_seconds")
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise ValueError(f"not a CDR file: missing columns {', '.join(missing)}")
    stamps = raw["queue_entered_at"].str.strip()
    with_offset = stamps.str.contains(_OFFSET).to_numpy(dtype=bool)
    if with_offset.any() and not with_offset.all():
        row = int(np.flatnonzero(with_offset != with_offset[0])[0])
        raise ValueError(f"row {row + 2}: queue_entered_at mixes times with and without a UTC offset")
    try:
        entered = pd.to_datetime(stamps, format="ISO8601", utc=bool(len(raw) and with_offset[0]))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"queue_entered_at: {exc}") from exc
    entered = entered.dt.as_unit("ns")
    if timezone is not None and entered.dt.tz is None:
        entered = localize(entered, zone(timezone))

    outcome = raw["outcome"].str.strip().str.lower()
    bad = ~outcome.isin(("answered", "abandoned"))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"row {row + 2}: outcome {raw['outcome'].iloc[row]!r} is not answered or abandoned")
    wait = _parse_seconds(raw["wait_seconds"], "wait_seconds", empty=None)
    handle = _parse_seconds(raw["handle_seconds"], "handle_seconds", empty=0.0)
    return pd.DataFrame(
        {
            "call_id": raw["call_id"],
            "entered_at": entered,
            "outcome": pd.Categorical(outcome, categories=OUTCOMES),
            "wait_seconds": wait,
            "handle_seconds": handle,
        },
        columns=list(CALL_COLUMNS),
    )


def _parse_clock(values: pd.Index) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Seconds since midnight of `H:MM:SS` strings."""
    parts = values.str.strip().str.extract(r"^(\d{1,2}):([0-5]\d):([0-5]\d)$").astype(float)
    seconds = (parts[0] * 3600 + parts[1] * 60 + parts[2]).to_numpy()
    ok = np.isfinite(seconds) & (parts[0].to_numpy() < 24)
    return np.where(ok, seconds, 0).astype(np.int64), ok


def _parse_yymmdd(values: pd.Index) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    days = pd.to_datetime(values.str.strip().str.zfill(6), format="%y%m%d", errors="coerce").as_unit("ns")
    ok = ~days.isna()
    return np.where(ok, days.asi8, 0), np.asarray(ok)


def _parse_seconds(values: pd.Series, column: str, *, empty: float | None) -> npt.NDArray[np.float64]:
    text = values.str.strip()
    if empty is not None:
        text = text.mask(text == "", str(empty))
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() | (numbers < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"row {row + 2}: {column} {values.iloc[row]!r} is not a number of seconds >= 0")
    result: npt.NDArray[np.float64] = numbers.to_numpy(dtype=np.float64)
    return result


def localize(naive: pd.Series, tz: ZoneInfo) -> pd.Series:
    """Naive wall times of `tz` as UTC instants."""
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
        return _interval_frame("", pd.DatetimeIndex([], tz="UTC").as_unit("ns"), {})

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
