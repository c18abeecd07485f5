"""Per-call telephony logs: read the Anonymous Bank and CDR formats into normalised call records."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import pandas as pd

from ops.staffing.history.intervals import CALL_COLUMNS, OUTCOMES, localize, zone

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
