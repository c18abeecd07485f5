"""Per-call logs read where they lie by DuckDB: the Anonymous Bank and CDR formats, as CSV or Parquet."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import duckdb

from ops.staffing.history.counting import (
    CallRelation,
    Counted,
    connect,
    count_relation,
    outside_window,
    quote,
    shown,
)

CallFormat = Literal["anonymous-bank", "cdr", "asterisk-queue-log"]
CALL_FORMATS: tuple[CallFormat, ...] = ("anonymous-bank", "cdr", "asterisk-queue-log")
_CLOCK = r"^(\d{1,2}):([0-5]\d):([0-5]\d)$"
_OFFSET = r"([zZ]|[+-]\d{2}(:?\d{2})?)$"


def is_parquet(path: Path) -> bool:
    """Whether the file is Parquet (by its magic bytes, whatever its name)."""
    with path.open("rb") as handle:
        return handle.read(4) == b"PAR1"


def scan(path: Path) -> tuple[str, str, int]:
    """SQL reading the file's rows as they lie, the same numbered in file order (`row_no`), and the row
    number of its first record: 2 for a CSV (its header is row 1), 1 for Parquet."""
    if is_parquet(path):
        source = f"read_parquet({quote(str(path))}, file_row_number = true)"
        return source, f"(SELECT file_row_number + 1 AS row_no, * FROM {source})", 1
    source = f"read_csv({quote(str(path))}, header = true, all_varchar = true, delim = ',')"
    return source, f"(SELECT row_number() OVER () + 1 AS row_no, * FROM {source})", 2


def columns(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """The file's column names and DuckDB types."""
    return {str(name): str(kind) for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}


def _relation(path: Path, inner: str, outer: str, problem: str, *, instants: bool) -> CallRelation:
    """A CallRelation: `inner` parses the file's columns, `outer` makes queue, t, outcome, wait and handle
    of them (keeping what `problem` names), `problem` says what is wrong with a row (NULL: nothing)."""
    source, numbered, _ = scan(path)
    rows = f"SELECT {outer} FROM (SELECT {inner} FROM {source})"
    numbered_rows = f"SELECT row_no, {outer} FROM (SELECT row_no, {inner} FROM {numbered})"
    return CallRelation(
        sql=f"SELECT queue, t, outcome, wait, handle, ({problem}) IS NOT NULL AS bad FROM ({rows})",
        locate=f"SELECT row_no, problem FROM (SELECT row_no, {problem} AS problem FROM ({numbered_rows})) "
        "WHERE problem IS NOT NULL",
        instants=instants,
    )


# --- Anonymous Bank ---------------------------------------------------------------------------------

_AB_COLUMNS = ("call_id", "date", "vru_entry", "vru_exit", "q_start", "q_time", "outcome", "ser_time")


def _clock(column: str) -> str:
    text = f"trim(CAST({column} AS VARCHAR))"
    part = f"regexp_extract({text}, '{_CLOCK}', ['h', 'm', 's'])"
    return (
        f"CASE WHEN regexp_full_match({text}, '{_CLOCK[1:-1]}') AND CAST({part}.h AS INTEGER) < 24 "
        f"THEN CAST({part}.h AS BIGINT) * 3600 + CAST({part}.m AS BIGINT) * 60 + CAST({part}.s AS BIGINT) END"
    )


def _whole(column: str) -> str:
    text = f"trim(CAST({column} AS VARCHAR))"
    return rf"CASE WHEN regexp_full_match({text}, '[+-]?\d{{1,15}}') THEN CAST({text} AS BIGINT) END"


def _yymmdd(column: str) -> str:
    # %y as Python reads it: 69-99 are 1969-1999, 00-68 are 2000-2068.
    text = f"lpad(trim(CAST({column} AS VARCHAR)), 6, '0')"
    year = f"CAST(substr({text}, 1, 2) AS INTEGER)"
    full = f"CAST(CASE WHEN {year} >= 69 THEN 1900 + {year} ELSE 2000 + {year} END AS VARCHAR) || substr({text}, 3)"
    return (
        rf"CASE WHEN regexp_full_match(trim(CAST({column} AS VARCHAR)), '\d{{1,6}}') "
        f"THEN epoch_us(try_strptime({full}, '%Y%m%d')) END"
    )


def anonymous_bank(con: duckdb.DuckDBPyConnection, path: Path, *, queue: str) -> CallRelation:
    """The Anonymous Bank per-call log (CSV or Parquet) as calls of `queue`, in naive wall times.

    A record enters the queue at `q_start`, or at `vru_exit` when it never queued (`q_start`
    0:00:00 with `q_time` 0; with `q_time` > 0 it really queued at midnight). AGENT is answered
    (whatever its server or service time), HANG with `q_time` > 0 abandoned, HANG with `q_time` 0
    unqueued, PHANTOM phantom. A time more than 12 hours before `vru_entry` is on the next day
    (calls crossing midnight); a smaller step back is the log's clock skew. Wait = `q_time`,
    handle = `ser_time`.
    """
    source, _, _ = scan(path)
    missing = [c for c in _AB_COLUMNS if c not in columns(con, source)]
    if missing:
        raise ValueError(f"not an Anonymous Bank call log: missing columns {', '.join(missing)}")
    kind = "upper(trim(CAST(outcome AS VARCHAR)))"
    parsed = f"""{quote(queue)} AS queue, date, vru_entry, vru_exit, q_start, q_time, outcome, ser_time,
        {_yymmdd("date")} AS day_us, {_clock("vru_entry")} AS entry_s, {_clock("vru_exit")} AS exit_s,
        {_clock("q_start")} AS start_s, {_whole("q_time")} AS wait_s, {_whole("ser_time")} AS handle_s,
        CASE {kind} WHEN 'AGENT' THEN 0 WHEN 'HANG' THEN CASE WHEN {_whole("q_time")} > 0 THEN 1 ELSE 2 END
             WHEN 'PHANTOM' THEN 3 END AS outcome_code"""
    clock = "CASE WHEN start_s <> 0 OR wait_s <> 0 THEN start_s ELSE exit_s END"
    timed = f"""queue, day_us + ({clock} + CASE WHEN {clock} < entry_s - 43200 THEN 86400 ELSE 0 END) * 1000000 AS t,
        outcome_code AS outcome, CAST(wait_s AS DOUBLE) AS wait, CAST(handle_s AS DOUBLE) AS handle,
        date, vru_entry, vru_exit, q_start, q_time, outcome AS outcome_text, ser_time,
        day_us, entry_s, exit_s, start_s, wait_s, handle_s, outcome_code"""
    checks = [
        ("day_us IS NULL", "date"),
        ("entry_s IS NULL", "vru_entry"),
        ("exit_s IS NULL", "vru_exit"),
        ("start_s IS NULL", "q_start"),
        ("wait_s IS NULL OR (outcome_code = 0 AND wait_s < 0)", "q_time"),
        ("handle_s IS NULL OR (outcome_code = 0 AND handle_s < 0)", "ser_time"),
        ("outcome_code IS NULL", "outcome_text"),
    ]
    problem = "CASE " + " ".join(
        f"WHEN {test} THEN 'bad {name.removesuffix('_text')} ' || {shown(name)}" for test, name in checks
    )
    return _relation(path, parsed, timed, problem + " END", instants=False)


# --- CDR -----------------------------------------------------------------------------------------------

_CDR_COLUMNS = ("call_id", "queue_entered_at", "wait_seconds", "outcome", "handle_seconds")


def cdr(
    con: duckdb.DuckDBPyConnection, path: Path, *, queue: str | None, queue_map: Mapping[str, str] | None = None
) -> CallRelation:
    """A generic CDR (CSV or Parquet) as calls: of `queue`, or of the queue `queue_map` gives its `queue` column.

    Columns (others ignored): `call_id`; `queue_entered_at`, ISO 8601 text either all with a UTC
    offset (`2026-03-02T08:15:00-03:00`, `...Z`) or all without (wall times of the queue's zone), or a
    Parquet timestamp (naive: wall times; with time zone: instants); `wait_seconds` >= 0; `outcome`
    `answered` or `abandoned`; `handle_seconds` >= 0, may be empty for an abandoned call; `queue`,
    needed with `queue_map` (a name it does not map is not counted).
    """
    source, _, _ = scan(path)
    found = columns(con, source)
    missing = [c for c in _CDR_COLUMNS if c not in found]
    if queue_map is not None and "queue" not in found:
        missing.append("queue")
    if missing:
        raise ValueError(f"not a CDR file: missing columns {', '.join(missing)}")
    kind = found["queue_entered_at"]
    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        instants, when, stamp_problem = True, "epoch_us(queue_entered_at)", "entered IS NULL"
    elif kind.startswith(("TIMESTAMP", "DATE")):
        instants, when, stamp_problem = False, "epoch_us(CAST(queue_entered_at AS TIMESTAMP))", "entered IS NULL"
    elif kind == "VARCHAR":
        first = con.execute(f"SELECT trim(queue_entered_at) FROM {source} LIMIT 1").fetchall()
        instants = bool(first and first[0][0] and re.search(_OFFSET, first[0][0]))
        cast = "TIMESTAMPTZ" if instants else "TIMESTAMP"
        when = f"epoch_us(try_cast(trim(queue_entered_at) AS {cast}))"
        mixed = f"regexp_matches(trim(queue_entered_at), '{_OFFSET}') <> {str(instants).lower()}"
        stamp_problem = "entered IS NULL"
        when = f"CASE WHEN {mixed} THEN NULL ELSE {when} END"
        mixing = f"WHEN {mixed} THEN 'queue_entered_at mixes times with and without a UTC offset' "
    else:
        raise ValueError(f"not a CDR file: queue_entered_at is {kind}, not text or a timestamp")
    if queue_map is not None:
        cases = " ".join(f"WHEN {quote(name)} THEN {quote(code)}" for name, code in queue_map.items())
        target = f"CASE CAST(queue AS VARCHAR) {cases} END" if cases else "CAST(NULL AS VARCHAR)"
    else:
        target = quote(queue or "")
    outcome = "CAST(outcome AS VARCHAR)"
    parsed = f"""{target} AS queue, {when} AS entered, queue_entered_at, outcome, wait_seconds, handle_seconds,
        CASE {outcome} WHEN 'answered' THEN 0 WHEN 'abandoned' THEN 1 ELSE
            CASE lower(trim({outcome})) WHEN 'answered' THEN 0 WHEN 'abandoned' THEN 1 END END AS code,
        {_seconds("wait_seconds", found["wait_seconds"], empty=None)} AS waited,
        {_seconds("handle_seconds", found["handle_seconds"], empty=0.0)} AS handled"""
    timed = "queue, entered AS t, code AS outcome, waited AS wait, handled AS handle, " + (
        "queue_entered_at, outcome AS outcome_text, wait_seconds, handle_seconds, entered, code, waited, handled"
    )
    problem = (
        "CASE "
        + (mixing if kind == "VARCHAR" else "")
        + f"WHEN {stamp_problem} THEN 'queue_entered_at ' || {shown('queue_entered_at')} || "
        "' is not an ISO 8601 date and time' "
        + outside_window("entered", "queue_entered_at")
        + f"WHEN code IS NULL THEN 'outcome ' || {shown('outcome_text')} || ' is not answered or abandoned' "
        f"WHEN waited IS NULL THEN 'wait_seconds ' || {shown('wait_seconds')} || ' is not a number of seconds >= 0' "
        f"WHEN handled IS NULL THEN 'handle_seconds ' || {shown('handle_seconds')} || "
        "' is not a number of seconds >= 0' END"
    )
    return _relation(path, parsed, timed, problem, instants=instants)


def _seconds(column: str, kind: str, *, empty: float | None) -> str:
    """SQL for seconds >= 0 from a text or numeric column; NULL when the value is not one."""
    if kind == "VARCHAR":
        text = f"trim({column})"
        value = f"try_cast({text} AS DOUBLE)"
        if empty is not None:
            value = f"CASE WHEN {text} = '' OR {column} IS NULL THEN {empty} ELSE {value} END"
    else:
        value = f"CAST({column} AS DOUBLE)"
        if empty is not None:
            value = f"coalesce({value}, {empty})"
    return f"CASE WHEN isfinite({value}) AND {value} >= 0 THEN {value} END"


# --- counting a file ---------------------------------------------------------------------------------


def count_call_log(
    path: Path,
    *,
    fmt: CallFormat,
    timezone: str,
    queue: str | None = None,
    queue_map: Mapping[str, str] | None = None,
    answer_within: int = 20,
    short_abandon_seconds: int = 5,
    fill_days: bool = True,
) -> Counted:
    """Count a call log file of format `fmt` into the interval table (see counting.count_relation).

    Its calls go to `queue`, or, for the formats that name a queue per call (a CDR's `queue` column,
    the queue_log's queue name), to the contract queue `queue_map` maps that name to.
    """
    from ops.staffing.history.queuelog import asterisk_queue_log

    if (queue is None) == (queue_map is None):
        raise ValueError("name either the queue or the queue map")
    if queue_map is not None and fmt == "anonymous-bank":
        raise ValueError("an Anonymous Bank log names no queue: give the queue, not a queue map")
    with connect() as con:
        if fmt == "anonymous-bank":
            relation = anonymous_bank(con, path, queue=str(queue))
        elif fmt == "cdr":
            relation = cdr(con, path, queue=queue, queue_map=queue_map)
        elif fmt == "asterisk-queue-log":
            relation = asterisk_queue_log(path, queue=queue, queue_map=queue_map)
        else:
            raise ValueError(f"unknown call log format {fmt!r}")
        return count_relation(
            con,
            relation,
            timezone=timezone,
            answer_within=answer_within,
            short_abandon_seconds=short_abandon_seconds,
            fill_days=fill_days,
        )
