"""Interval history: import telephony interval statistics and per-call logs into IntervalStat, idempotently."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.config import get_settings
from ops.contracts.models import Contract, Queue
from ops.contracts.services import get_contract
from ops.errors import InvalidInputError, NotFoundError
from ops.staffing.history.calllog import CALL_FORMATS, CallFormat, count_call_log
from ops.staffing.history.counting import Counted
from ops.staffing.history.intervals import COUNT_COLUMNS, INTERVAL_COLUMNS, SUM_COLUMNS
from ops.staffing.history.intervals import zone as parse_zone
from ops.staffing.history.models import IntervalStat
from ops.tabular import Row, Table, TableError, open_data, parse_number

__all__ = ["CALL_FORMATS", "CallFormat", "ImportResult", "import_calls", "import_intervals"]
VALUE_COLUMNS = (*COUNT_COLUMNS, *SUM_COLUMNS)
_CHUNK = 2000  # rows per INSERT ... ON CONFLICT statement (SQLite caps bound parameters per statement)


@dataclass(frozen=True)
class RowProblem:
    """A rejected line of an interval file: where, which field, and what is wrong with it."""

    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.problem}"


@dataclass(frozen=True)
class ImportResult:
    """What an import did. `intervals` = inserted + updated + unchanged; `rejected` lists bad lines."""

    source: str
    queues: list[str]
    records: int  # data lines of an interval file, or call records of a call log
    intervals: int
    inserted: int
    updated: int
    unchanged: int
    first_interval: datetime | None
    last_interval: datetime | None
    rejected: list[RowProblem] = field(default_factory=list)
    skipped_calls: dict[str, int] = field(default_factory=dict)  # call records offered to no queue, by outcome
    # Intervals this import changed that another file had stored, by that file: a call log is read as whole days,
    # so a day split over two files keeps only the last one's calls.
    replaced: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "queues": self.queues,
            "records": self.records,
            "intervals": self.intervals,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "first_interval": self.first_interval.isoformat() if self.first_interval else None,
            "last_interval": self.last_interval.isoformat() if self.last_interval else None,
            "rejected": [{"line": p.line, "field": p.field, "problem": p.problem} for p in self.rejected],
            "skipped_calls": self.skipped_calls,
            "replaced": self.replaced,
        }


def queue_zone(queue: Queue, contract: Contract) -> str:
    """The queue's time zone: its calendar's, else the contract's."""
    tz = queue.calendar.get("timezone") if isinstance(queue.calendar, dict) else None
    return str(tz or contract.timezone)


def voice_sla(queue: Queue) -> dict[str, Any]:
    voice = (queue.sla or {}).get("voice") or {}
    return dict(voice)


# --- interval files -------------------------------------------------------------------------------


class _OutOfBounds(ValueError):
    """A number past what one interval can hold (ops.bounds): a typo, and an overflow of the column."""


def _number(text: str, locale: str) -> float:
    """A number as `locale` writes it (1.234,56 in pt-BR), or a float's own notation (1e3) as a telephony export
    may write it."""
    try:
        return float(parse_number(text, locale))
    except ValueError:
        return float(text)


def _count(text: str, locale: str = "en") -> int:
    value = _number(text, locale)
    if not math.isfinite(value) or value != int(value) or value < 0:
        raise ValueError
    if value > bounds.MAX_VOLUME:
        raise _OutOfBounds(f"more than {bounds.MAX_VOLUME:,} in one interval")
    return int(value)


def _seconds(text: str, locale: str = "en") -> float:
    value = _number(text, locale)
    if not math.isfinite(value) or value < 0:
        raise ValueError
    if value > bounds.MAX_VOLUME * bounds.MAX_SECONDS:
        raise _OutOfBounds(f"more than {bounds.MAX_VOLUME * bounds.MAX_SECONDS:,} seconds in one interval")
    return value


def _interval_start(text: str, tz: ZoneInfo) -> datetime:
    stamp = datetime.fromisoformat(text)
    if (problem := bounds.history_problem(stamp)) is not None:  # year 1 overflows the zone conversion below
        raise ValueError(problem)
    if stamp.tzinfo is None:
        # A wall time of the queue's clock; in a repeated (fall-back) hour it means the first one.
        stamp = stamp.replace(tzinfo=tz)
    local = stamp.astimezone(tz)
    if local.minute % 30 or local.second or local.microsecond:
        raise ValueError("not the start of a 30-minute interval of the queue's clock")
    return stamp.astimezone(UTC)


def parse_interval_rows(
    rows: Iterable[Row], columns: Sequence[str], *, queues: dict[str, tuple[int, ZoneInfo]], locale: str = "en"
) -> tuple[list[dict[str, Any]], list[RowProblem], int]:
    """Good rows (ready to store), the problems of the bad ones, and the number of data lines read.

    `rows` and `columns` come from ops.tabular (the file's header); numbers are read as `locale` writes them.
    `queues` maps each queue code of the contract to its id and time zone. A line with any bad field
    is rejected whole; every problem of it is reported.
    """
    missing = [c for c in INTERVAL_COLUMNS if c not in columns]
    if missing:
        raise InvalidInputError(
            f"not an interval file: missing columns {', '.join(missing)}",
            extra=[{"field": c, "problem": "missing column"} for c in missing],
        )
    good: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[int, datetime], int] = {}
    records = 0
    for read in rows:
        records += 1
        line = read.line
        if read.problem is not None:  # a field past the 128 KB limit, a wrong number of cells: this line only
            problems.append(RowProblem(line, "", read.problem))
            continue
        row = {name: "" if value is None else str(value) for name, value in read.values.items()}
        bad: list[RowProblem] = []
        code = (row.get("queue") or "").strip()
        queue = queues.get(code)
        if queue is None:
            bad.append(RowProblem(line, "queue", f"{code!r} is not a queue of the contract"))
        start: datetime | None = None
        raw_start = (row.get("interval_start") or "").strip()
        try:
            start = _interval_start(raw_start, queue[1] if queue else ZoneInfo("UTC"))
        except ValueError as exc:
            known = "30-minute" in str(exc) or " is outside " in str(exc)
            reason = str(exc) if known else "not an ISO 8601 date and time"
            bad.append(RowProblem(line, "interval_start", f"{raw_start!r}: {reason}"))
        values: dict[str, Any] = {}
        for name in COUNT_COLUMNS:
            raw = (row.get(name) or "").strip()
            try:
                values[name] = _count(raw, locale)
            except _OutOfBounds as exc:
                bad.append(RowProblem(line, name, f"{raw!r}: {exc}"))
            except ValueError:
                bad.append(RowProblem(line, name, f"{raw!r} is not a whole number >= 0"))
        for name in SUM_COLUMNS:
            raw = (row.get(name) or "").strip()
            try:
                values[name] = _seconds(raw, locale)
            except _OutOfBounds as exc:
                bad.append(RowProblem(line, name, f"{raw!r}: {exc}"))
            except ValueError:
                bad.append(RowProblem(line, name, f"{raw!r} is not a number of seconds >= 0"))
        if len(values) == len(VALUE_COLUMNS):
            bad.extend(_inconsistencies(line, values))
        if queue is not None and start is not None and not bad:
            key = (queue[0], start)
            if key in seen:
                bad.append(RowProblem(line, "interval_start", f"repeats the interval of line {seen[key]}"))
            seen.setdefault(key, line)
        if bad:
            problems.extend(bad)
            continue
        assert queue is not None
        assert start is not None
        good.append({"queue_id": queue[0], "interval_start": start, **values})
    return good, problems, records


def _inconsistencies(line: int, v: dict[str, Any]) -> list[RowProblem]:
    rules = (
        ("answered", v["answered"] + v["abandoned"] <= v["offered"], "answered + abandoned exceeds offered"),
        ("answered_within", v["answered_within"] <= v["answered"], "exceeds answered"),
        ("abandoned_within", v["abandoned_within"] <= v["abandoned"], "exceeds abandoned"),
        ("short_abandons", v["short_abandons"] <= v["abandoned"], "exceeds abandoned"),
    )
    return [RowProblem(line, name, problem) for name, ok, problem in rules if not ok]


# --- storing ----------------------------------------------------------------------------------------


async def _contract_queues(session: AsyncSession, contract_code: str) -> tuple[Contract, list[Queue]]:
    contract = await get_contract(session, code=contract_code, principal=None)
    return contract, list(contract.queues)


def _same(existing: tuple[Any, ...], row: dict[str, Any]) -> bool:
    return (
        all(
            (a == b) if name in COUNT_COLUMNS else math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9)
            for name, a, b in zip(VALUE_COLUMNS, existing[:-1], (row[c] for c in VALUE_COLUMNS), strict=True)
        )
        and existing[-1] == row["answer_within_seconds"]
    )


@dataclass(frozen=True)
class Upserted:
    """What an upsert of interval rows did; `replaced` counts the changed intervals another source had stored."""

    inserted: int
    updated: int
    unchanged: int
    replaced: dict[str, int]


async def upsert_intervals(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> Upserted:
    """Insert or update IntervalStat rows by (queue_id, interval_start).

    Rows equal to what is stored are not written at all, so importing a file twice writes nothing.
    Each row has queue_id, interval_start (aware), the count and sum columns, answer_within_seconds
    and source.
    """
    if not rows:
        return Upserted(0, 0, 0, {})
    existing: dict[tuple[int, datetime], tuple[Any, ...]] = {}
    sources: dict[tuple[int, datetime], str | None] = {}
    by_queue: dict[int, list[datetime]] = {}
    for row in rows:
        by_queue.setdefault(row["queue_id"], []).append(row["interval_start"])
    columns = [getattr(IntervalStat, c) for c in VALUE_COLUMNS]
    for queue_id, starts in by_queue.items():
        query = select(
            IntervalStat.interval_start, *columns, IntervalStat.answer_within_seconds, IntervalStat.source
        ).where(
            IntervalStat.queue_id == queue_id,
            IntervalStat.interval_start >= min(starts),
            IntervalStat.interval_start <= max(starts),
        )
        for found in await session.execute(query):
            existing[(queue_id, found[0])] = tuple(found[1:-1])
            sources[(queue_id, found[0])] = found[-1]
    to_write: list[dict[str, Any]] = []
    inserted = updated = 0
    replaced: dict[str, int] = {}
    for row in rows:
        key = (row["queue_id"], row["interval_start"])
        before = existing.get(key)
        if before is None:
            inserted += 1
        elif _same(before, row):
            continue
        else:
            updated += 1
            if (other := sources.get(key)) and other != row["source"]:
                replaced[other] = replaced.get(other, 0) + 1
        to_write.append(row)
    if to_write:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for first in range(0, len(to_write), _CHUNK):
            stmt = insert(IntervalStat)
            stmt = stmt.on_conflict_do_update(
                index_elements=["queue_id", "interval_start"],
                set_={c: stmt.excluded[c] for c in (*VALUE_COLUMNS, "answer_within_seconds", "source")},
            )
            await session.execute(stmt, list(to_write[first : first + _CHUNK]))
    return Upserted(inserted, updated, len(rows) - inserted - updated, replaced)


def _span(rows: Iterable[dict[str, Any]]) -> tuple[datetime | None, datetime | None]:
    starts = [r["interval_start"] for r in rows]
    return (min(starts), max(starts)) if starts else (None, None)


async def import_intervals(
    session: AsyncSession,
    *,
    contract_code: str,
    source: str,
    table: Table | None = None,
    text: str | None = None,
    locale: str | None = None,
) -> ImportResult:
    """Import an interval-statistics file (columns INTERVAL_COLUMNS) of a contract's queues: an open ops.tabular
    `table` (CSV or XLSX), or CSV `text`, which the same reader reads. Numbers as `locale` writes them, by
    default the contract's language.

    Good lines are stored (upserted by queue and interval start), bad ones are reported with their
    line and field. Naive interval starts are wall times of each queue's time zone. History from
    before the contract started is kept: it feeds forecasts.
    """
    contract, queues = await _contract_queues(session, contract_code)
    lookup = {q.code: (q.id, ZoneInfo(queue_zone(q, contract))) for q in queues}
    within = {q.id: int(voice_sla(q).get("answer_within_seconds", 20)) for q in queues}
    locale = locale or str(contract.document.get("language") or "pt-BR")
    try:
        if table is None:
            with open_data((text or "").encode(), source, max_rows=get_settings().import_max_rows) as opened:
                good, problems, records = parse_interval_rows(opened, opened.columns, queues=lookup, locale=locale)
        else:
            good, problems, records = parse_interval_rows(table, table.columns, queues=lookup, locale=locale)
    except TableError as error:
        raise InvalidInputError(str(error), extra=[{"field": "file", "problem": str(error)}]) from None
    for row in good:
        row["answer_within_seconds"] = within[row["queue_id"]]
        row["source"] = source[-200:]
    upserted = await upsert_intervals(session, good)
    inserted, updated, unchanged = upserted.inserted, upserted.updated, upserted.unchanged
    names = {q.id: q.code for q in queues}
    first, last = _span(good)
    return ImportResult(
        source=source,
        queues=sorted({names[r["queue_id"]] for r in good}),
        records=records,
        intervals=len(good),
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        first_interval=first,
        last_interval=last,
        rejected=problems,
        replaced=upserted.replaced,
    )


async def import_calls(
    session: AsyncSession,
    *,
    contract_code: str,
    queue_code: str | None,
    source: str | Path,
    fmt: CallFormat,
    timezone: str | None = None,
    source_name: str | None = None,
    queue_map: Mapping[str, str] | None = None,
) -> ImportResult:
    """Count a per-call log (CSV, Parquet or queue_log) into 30-minute intervals and store them (upsert).

    The calls go to `queue_code`, or (CDR with a `queue` column, Asterisk queue_log) to the contract
    queue `queue_map` gives each of the log's queue names; calls of names it does not map are skipped
    and reported. Times without a UTC offset are wall times of `timezone` (default: each queue's
    calendar zone). "Within T" and short abandons use each queue's voice SLA thresholds. Every
    interval of each day the log covers is stored, quiet ones as zeros, so importing the same file
    twice changes nothing.
    """
    if (queue_code is None) == (queue_map is None):
        raise InvalidInputError(
            "name the queue (--queue) or map the log's queue names (--queue-map)",
            extra=[{"field": "queue", "problem": "give exactly one of queue and queue map"}],
        )
    contract, queues = await _contract_queues(session, contract_code)
    by_code = {q.code: q for q in queues}
    targets = [queue_code] if queue_code is not None else sorted(set((queue_map or {}).values()))
    for code in targets:
        if code not in by_code:
            raise NotFoundError(f"no queue {code!r} in contract {contract_code!r}")
    # Queues with another zone or other thresholds are counted in a run of their own over the file.
    groups: dict[tuple[str, int, int], list[str]] = {}
    for code in targets:
        queue = by_code[code]
        tz = timezone or queue_zone(queue, contract)
        try:
            parse_zone(tz)
        except ValueError as exc:
            raise InvalidInputError(str(exc), extra=[{"field": "timezone", "problem": str(exc)}]) from exc
        sla = voice_sla(queue)
        key = (tz, int(sla.get("answer_within_seconds", 20)), int(sla.get("short_abandon_seconds", 5)))
        groups.setdefault(key, []).append(code)

    def work() -> list[tuple[int, Counted]]:
        runs = []
        for (tz, within, short), codes in groups.items():
            names = None if queue_map is None else {k: v for k, v in queue_map.items() if v in codes}
            counted = count_call_log(
                Path(source),
                fmt=fmt,
                timezone=tz,
                queue=queue_code,
                queue_map=names,
                answer_within=within,
                short_abandon_seconds=short,
            )
            runs.append((within, counted))
        return runs

    try:
        runs = await asyncio.to_thread(work)
    except (ValueError, duckdb.Error) as exc:
        # DuckDB's first line says what is wrong; the lines after it echo its own SQL, which tells a user nothing.
        said = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, duckdb.Error):
            said += f" (is it a {fmt} call log, as CSV or Parquet?)"
        raise InvalidInputError(
            f"cannot read the call log: {said}", extra=[{"field": "file", "problem": said}]
        ) from exc
    name = source_name or str(source)
    rows = [row for within, counted in runs for row in _rows(counted.intervals, by_code, within, name)]
    upserted = await upsert_intervals(session, rows)
    inserted, updated, unchanged = upserted.inserted, upserted.updated, upserted.unchanged
    first, last = _span(rows)
    records = runs[0][1].records
    outcomes = {k: sum(c.outcomes.get(k, 0) for _, c in runs) for k in ("unqueued", "phantom", "unfinished")}
    outcomes["unmapped"] = records - sum(sum(c.outcomes.values()) for _, c in runs)
    return ImportResult(
        source=name,
        queues=targets,
        records=records,
        intervals=len(rows),
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        first_interval=first,
        last_interval=last,
        skipped_calls={k: v for k, v in outcomes.items() if v},
        replaced=upserted.replaced,
    )


def _rows(table: pd.DataFrame, queues: Mapping[str, Queue], within: int, source: str) -> list[dict[str, Any]]:
    return [
        {
            "queue_id": queues[code].id,
            "interval_start": stamp.to_pydatetime(),
            **{c: int(v) for c, v in zip(COUNT_COLUMNS, counts, strict=True)},
            **{c: float(v) for c, v in zip(SUM_COLUMNS, sums, strict=True)},
            "answer_within_seconds": within,
            "source": source[-200:],
        }
        for code, stamp, counts, sums in zip(
            table["queue"],
            table["interval_start"],
            table[list(COUNT_COLUMNS)].itertuples(index=False, name=None),
            table[list(SUM_COLUMNS)].itertuples(index=False, name=None),
            strict=True,
        )
    ]


async def load_history(
    session: AsyncSession, *, queue_id: int, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """IntervalStat rows of a queue in [start, end) as a frame indexed by UTC interval_start."""
    columns = [IntervalStat.interval_start, *(getattr(IntervalStat, c) for c in VALUE_COLUMNS)]
    query = select(*columns).where(IntervalStat.queue_id == queue_id).order_by(IntervalStat.interval_start)
    if start is not None:
        query = query.where(IntervalStat.interval_start >= start)
    if end is not None:
        query = query.where(IntervalStat.interval_start < end)
    rows = (await session.execute(query)).all()
    frame = pd.DataFrame(rows, columns=["interval_start", *VALUE_COLUMNS])
    frame["interval_start"] = pd.to_datetime(frame["interval_start"], utc=True)
    return frame.set_index("interval_start")
