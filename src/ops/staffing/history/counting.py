"""The counting engine: call records counted into the interval table by DuckDB, where the file lies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from ops import bounds
from ops.staffing.history.intervals import (
    COUNT_COLUMNS,
    DAY_US,
    INTERVAL_US,
    OUTCOMES,
    SUM_COLUMNS,
    empty_intervals,
    instant_segments,
    interval_cuts,
    interval_table,
    wall_segments,
    zone,
)

# DuckDB scans CSV and Parquet a column at a time and keeps only the groups in memory (a few
# thousand intervals a month), so a year of calls is counted within this bound.
MEMORY_LIMIT = "512MB"


@dataclass(frozen=True)
class CallRelation:
    """A call log as DuckDB reads it: one row per call record, normalised.

    `sql` yields `queue` (the contract queue's code; NULL: a queue the import does not count), `t`
    (BIGINT microseconds: UTC when `instants`, else a naive wall time of the log's zone), `outcome`
    (an index into OUTCOMES), `wait` and `handle` (seconds), and `bad` (the record cannot be read).
    `locate` yields (`row_no`, `problem`) of bad records in file order, read only when some are bad.
    """

    sql: str
    locate: str
    instants: bool
    prepare: Callable[[duckdb.DuckDBPyConnection], None] | None = None


@dataclass(frozen=True)
class Counted:
    """The interval table of every counted queue, and how many records of each outcome were read."""

    intervals: pd.DataFrame
    outcomes: dict[str, int] = field(default_factory=dict)
    unmapped: int = 0  # records of queues the import was not asked to count

    @property
    def records(self) -> int:
        return sum(self.outcomes.values()) + self.unmapped


class BadRecords(ValueError):
    """Records of the log that cannot be read: the first one named by row and column, all of them counted."""


def connect(*, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads times as UTC and stays within MEMORY_LIMIT."""
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False})
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def quote(value: str) -> str:
    """`value` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def shown(column: str) -> str:
    """SQL for a value as a problem message shows it, like Python's repr of a string."""
    return f"'''' || coalesce(CAST({column} AS VARCHAR), '') || ''''"


def outside_window(epoch_us: str, column: str) -> str:
    """A CASE branch naming a time outside what history may hold (ops.bounds: 1970 to the input window's end):
    year 1 parses, and then no interval of any clock can hold it."""
    earliest = min(bounds.HISTORY_EARLIEST, bounds.window().earliest)
    latest = bounds.window().latest()
    low = int(datetime.combine(earliest, time(), UTC).timestamp()) * 1_000_000
    high = int(datetime.combine(latest, time(), UTC).timestamp() + 86_400) * 1_000_000
    return (
        f"WHEN {epoch_us} < {low} OR {epoch_us} >= {high} THEN '{column} ' || {shown(column)} || "
        f"' is outside {earliest.isoformat()} to {latest.isoformat()}' "
    )


def _floor(expr: str, step: int) -> str:
    # DuckDB's % keeps the sign of the dividend: ((x % s) + s) % s is the floor remainder.
    return f"({expr} - ((({expr}) % {step}) + {step}) % {step})"


def _stage_sql(relation: CallRelation, *, within: int, short: int, cuts: Sequence[int]) -> str:
    cut = " + ".join(f"CAST(((t % {INTERVAL_US}) + {INTERVAL_US}) % {INTERVAL_US} >= {c} AS INTEGER)" for c in cuts)
    outcomes = ",\n".join(f"count(*) FILTER (outcome = {i} AND NOT bad) AS n_{name}" for i, name in enumerate(OUTCOMES))
    return f"""
CREATE OR REPLACE TEMP TABLE stage AS
SELECT queue, {_floor("t", INTERVAL_US)} AS k, {cut or "0"} AS cut, min(t) AS t0,
       count(*) FILTER (outcome = 0 AND wait <= {within} AND NOT bad) AS answered_within,
       count(*) FILTER (outcome = 1 AND wait <= {within} AND NOT bad) AS abandoned_within,
       count(*) FILTER (outcome = 1 AND wait <= {short} AND NOT bad) AS short_abandons,
       coalesce(sum(handle) FILTER (outcome = 0 AND NOT bad), 0) AS handle_seconds,
       coalesce(sum(wait) FILTER (outcome = 0 AND NOT bad), 0) AS wait_seconds,
       count(*) FILTER (bad) AS bad,
       {outcomes}
FROM ({relation.sql}) AS calls
GROUP BY ALL
"""


def _keyed_sql(instants: bool) -> str:
    """Each stage row's UTC interval start and local day, converted by the zone's segments."""
    if instants:
        wall = "(s.t0 + g.offset)"
        return f"""
SELECT s.*, {_floor(wall, INTERVAL_US)} - g.offset AS start, {_floor(wall, DAY_US)} AS day
FROM stage s ASOF JOIN instant_seg g ON s.t0 >= g.start
WHERE s.queue IS NOT NULL AND s.bad = 0
"""
    return f"""
SELECT s.*, CASE WHEN g.fixed IS NULL THEN s.k - g.offset ELSE g.fixed END AS start, {_floor("s.k", DAY_US)} AS day
FROM stage s ASOF JOIN wall_seg g ON s.k >= g.wall_start
WHERE s.queue IS NOT NULL AND s.bad = 0
"""


def _table_sql(instants: bool, fill_days: bool) -> str:
    sums = ", ".join(
        f"sum({c}) AS {c}" for c in ("answered_within", "abandoned_within", "short_abandons", *SUM_COLUMNS)
    )
    grid = f"""
, days AS (SELECT DISTINCT queue, day FROM keyed)
, d1 AS (SELECT d.queue, d.day, CASE WHEN g.fixed IS NULL THEN d.day - g.offset ELSE g.fixed END AS s
         FROM days d ASOF JOIN wall_seg g ON d.day >= g.wall_start)
, d2 AS (SELECT d.queue, d.s,
                CASE WHEN g.fixed IS NULL THEN d.day + {DAY_US} - g.offset ELSE g.fixed END AS e
         FROM d1 d ASOF JOIN wall_seg g ON d.day + {DAY_US} >= g.wall_start)
, grid AS (SELECT queue, unnest(range(s, s + ((e - s) // {INTERVAL_US}) * {INTERVAL_US}, {INTERVAL_US})) AS start
           FROM d2)
, keys AS (SELECT queue, start FROM counts UNION SELECT queue, start FROM grid)
"""
    plain = ", keys AS (SELECT queue, start FROM counts)"
    values = ", ".join(f"coalesce(c.{col}, 0) AS {col}" for col in (*COUNT_COLUMNS, *SUM_COLUMNS))
    return f"""
WITH keyed AS ({_keyed_sql(instants)})
, counts AS (SELECT queue, start, sum(n_answered) + sum(n_abandoned) AS offered, sum(n_answered) AS answered,
                    sum(n_abandoned) AS abandoned, {sums}
             FROM keyed GROUP BY queue, start)
{grid if fill_days else plain}
SELECT k.queue, k.start, {values}
FROM keys k LEFT JOIN counts c ON c.queue = k.queue AND c.start = k.start
ORDER BY k.queue, k.start
"""


def _locate(con: duckdb.DuckDBPyConnection, relation: CallRelation, bad: int) -> BadRecords:
    # File order matters here only: one thread reads the rows in the order they lie.
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET threads = 1")
    found = _one(con, f"SELECT row_no, problem FROM ({relation.locate}) ORDER BY row_no LIMIT 1")
    more = f" ({bad} bad records in all)" if bad > 1 else ""
    if found is None:  # pragma: no cover - locate and sql disagree
        return BadRecords(f"{bad} bad records")
    return BadRecords(f"row {found[0]}: {found[1]}{more}")


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...] | None:
    # fetchall: DuckDB keeps a result open until it is read to the end.
    rows = con.execute(sql).fetchall()
    return rows[0] if rows else None


def _span(con: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    row = _one(con, "SELECT min(t0), max(t0) FROM stage WHERE bad = 0")
    return None if row is None or row[0] is None else (int(row[0]), int(row[1]))


def count_relation(
    con: duckdb.DuckDBPyConnection,
    relation: CallRelation,
    *,
    timezone: str,
    answer_within: int = 20,
    short_abandon_seconds: int = 5,
    fill_days: bool = True,
) -> Counted:
    """Count a CallRelation into the 30-minute intervals of the queues' local clock in `timezone`.

    An interval of the local clock holds the calls that entered the queue in [start, start + 30 min).
    Offered = answered + abandoned; "within T" is wait <= T (`answer_within` for answered_within and
    abandoned_within, `short_abandon_seconds` for short abandons); wait_seconds and handle_seconds sum
    over answered calls. With `fill_days`, every interval of every local day that has at least one
    record (of any outcome) is listed, zeros included, so a quiet half hour is told apart from a day
    missing from the log. Wall times are placed by intervals.wall_segments (the first of a repeated
    hour, the end of a skipped one), instants by intervals.instant_segments. Raises BadRecords naming
    the first bad record, or ValueError.
    """
    zone(timezone)
    if answer_within < 0 or short_abandon_seconds < 0:
        raise ValueError("answer_within and short_abandon_seconds must be >= 0")
    if relation.prepare is not None:
        relation.prepare(con)
    stage = _stage_sql(relation, within=answer_within, short=short_abandon_seconds, cuts=())
    con.execute(stage)
    bad_row = _one(con, "SELECT coalesce(sum(bad), 0) FROM stage")
    bad = int(bad_row[0]) if bad_row else 0
    if bad:
        raise _locate(con, relation, bad)
    span = _span(con)
    if span is None:
        return Counted(empty_intervals(), _outcomes(con, mapped=True), _unmapped(con))
    if relation.instants:
        cuts = interval_cuts(timezone, *span)
        if cuts:  # an offset that is not a whole half hour: split the UTC half hours where it changes
            con.execute(_stage_sql(relation, within=answer_within, short=short_abandon_seconds, cuts=cuts))
        _register(con, "instant_seg", instant_segments(timezone, *span))
    _register(con, "wall_seg", wall_segments(timezone, *span))
    result = con.execute(_table_sql(relation.instants, fill_days)).fetchnumpy()
    values: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.int64]]
    values = {c: np.asarray(result[c], dtype=np.int64) for c in COUNT_COLUMNS}
    values |= {c: np.asarray(result[c], dtype=np.float64) for c in SUM_COLUMNS}
    table = interval_table([str(q) for q in result["queue"]], np.asarray(result["start"], dtype=np.int64), values)
    return Counted(table, _outcomes(con, mapped=True), _unmapped(con))


def _register(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register(f"{name}_frame", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame ORDER BY 1")
    con.unregister(f"{name}_frame")


def _outcomes(con: duckdb.DuckDBPyConnection, *, mapped: bool) -> dict[str, int]:
    where = "queue IS NOT NULL" if mapped else "TRUE"
    sums = ", ".join(f"coalesce(sum(n_{name}), 0)" for name in OUTCOMES)
    row: Any = _one(con, f"SELECT {sums} FROM stage WHERE {where}")
    return {name: int(v) for name, v in zip(OUTCOMES, row, strict=True)}


def _unmapped(con: duckdb.DuckDBPyConnection) -> int:
    sums = " + ".join(f"coalesce(sum(n_{name}), 0)" for name in OUTCOMES)
    row = _one(con, f"SELECT {sums} FROM stage WHERE queue IS NULL")
    return int(row[0]) if row else 0


# --- a normalised frame (tests and benchmarks hand calls over in memory) ---------------------------


def frame_relation(frame: pd.DataFrame, *, queue: str) -> CallRelation:
    """A CALL_COLUMNS frame as a CallRelation: naive `entered_at` values are wall times, aware ones instants."""
    missing = [c for c in ("entered_at", "outcome", "wait_seconds", "handle_seconds") if c not in frame.columns]
    if missing:
        raise ValueError(f"calls frame lacks columns {', '.join(missing)}")
    entered = frame["entered_at"]
    if not pd.api.types.is_datetime64_any_dtype(entered):
        raise ValueError("entered_at must be datetimes")
    instants = isinstance(entered.dtype, pd.DatetimeTZDtype)
    data = pd.DataFrame(
        {
            "t": pd.Series(pd.DatetimeIndex(entered).as_unit("us").asi8, dtype="Int64").mask(entered.isna().to_numpy()),
            "outcome": frame["outcome"].astype("str").to_numpy(),
            "wait": frame["wait_seconds"].to_numpy(dtype=np.float64),
            "handle": frame["handle_seconds"].to_numpy(dtype=np.float64),
        }
    )
    codes = " ".join(f"WHEN {quote(name)} THEN {i}" for i, name in enumerate(OUTCOMES))
    problem = f"""CASE WHEN t IS NULL THEN 'entered_at is missing'
        WHEN o IS NULL THEN 'unknown call outcome ' || {shown("outcome")}
        WHEN o <= 1 AND NOT (isfinite(wait) AND wait >= 0) THEN 'missing or negative wait_seconds'
        WHEN o = 0 AND NOT (isfinite(handle) AND handle >= 0) THEN 'missing or negative handle_seconds' END"""
    base = f"SELECT *, CASE outcome {codes} END AS o FROM calls_frame"

    def prepare(con: duckdb.DuckDBPyConnection) -> None:
        con.register("calls_frame", data)

    return CallRelation(
        sql=f"""SELECT {quote(queue)} AS queue, t, o AS outcome, wait, handle, ({problem}) IS NOT NULL AS bad
                FROM ({base})""",
        locate=f"SELECT * FROM (SELECT row_number() OVER () AS row_no, {problem} AS problem FROM ({base})) "
        "WHERE problem IS NOT NULL",
        instants=instants,
        prepare=prepare,
    )


def count_frame(
    frame: pd.DataFrame,
    *,
    queue: str,
    timezone: str,
    answer_within: int = 20,
    short_abandon_seconds: int = 5,
    fill_days: bool = True,
) -> pd.DataFrame:
    """Count a CALL_COLUMNS frame into the interval table of `queue` (see count_relation)."""
    if len(frame) == 0:
        zone(timezone)
        return empty_intervals()
    with connect() as con:
        return count_relation(
            con,
            frame_relation(frame, queue=queue),
            timezone=timezone,
            answer_within=answer_within,
            short_abandon_seconds=short_abandon_seconds,
            fill_days=fill_days,
        ).intervals
