"""Importing interval statistics and call logs: good lines kept, bad ones named, the same file twice changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ops.contracts.models import Queue
from ops.errors import InvalidInputError, NotFoundError
from ops.staffing.history.models import IntervalStat
from ops.staffing.history.services import import_calls, import_intervals
from tests.conftest import FIXTURES
from tests.helpers import load_reference
from tests.integration.staffing.synthetic import COLUMNS, interval_csv, interval_rows

AB_SLICE = FIXTURES / "anonymous_bank_1999_02_12-14_calls.csv"


async def _totals(db: Any, queue: str = "care") -> tuple[int, int, int, int, int]:
    async with db() as session:
        queue_id = (await session.execute(select(Queue.id).where(Queue.code == queue))).scalar_one()
        row = (
            await session.execute(
                select(
                    func.count(),
                    func.sum(IntervalStat.offered),
                    func.sum(IntervalStat.answered),
                    func.sum(IntervalStat.answered_within),
                    func.sum(IntervalStat.abandoned),
                ).where(IntervalStat.queue_id == queue_id)
            )
        ).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


async def _import(db: Any, text: str) -> Any:
    async with db.begin() as session:
        return await import_intervals(session, contract_code="reference", text=text, source="stats.csv")


BAD_LINES = [
    "care,2026-03-02T08:15:00-03:00,5,5,5,0,0,0,900,10",  # not on the half-hour grid
    "billing,2026-03-02T08:00:00-03:00,5,5,5,0,0,0,900,10",  # no such queue
    "helpdesk,2026-03-02T08:00:00-03:00,10,9,5,3,1,1,900,10",  # answered + abandoned > offered
    "helpdesk,2026-03-02T08:30:00-03:00,-4,0,0,0,0,0,0,0",  # negative count
    "helpdesk,2026-03-02T09:00:00-03:00,4,4,4,0,0,0,lots,0",  # not a number
    "care,2026-03-02T00:00:00-03:00,1,1,1,0,0,0,60,0",  # the same interval as line 2
]


async def test_good_lines_are_kept_bad_ones_named_and_a_second_import_changes_nothing(sdb: Any) -> None:
    await load_reference(sdb)
    rows = interval_rows(date(2026, 3, 2), 1, queues={"care": 1.0})
    text = interval_csv(rows) + "\n".join(BAD_LINES) + "\n"

    first = await _import(sdb, text)
    assert (first.records, first.intervals, first.inserted, first.updated, first.unchanged) == (54, 48, 48, 0, 0)
    assert [(p.line, p.field) for p in first.rejected] == [
        (50, "interval_start"),
        (51, "queue"),
        (52, "answered"),
        (53, "offered"),
        (54, "handle_seconds"),
        (55, "interval_start"),
    ]
    assert "repeats the interval of line 2" in first.rejected[-1].problem
    stored = await _totals(sdb)
    assert stored == (
        48,
        *(sum(int(r[k]) for r in rows) for k in ("offered", "answered", "answered_within", "abandoned")),
    )

    again = await _import(sdb, text)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 48)
    assert await _totals(sdb) == stored

    # A corrected line replaces what was stored for its interval, and only that one.
    corrected = [dict(r) for r in rows]
    corrected[20]["offered"] = 999
    changed = interval_csv(corrected) + "\n".join(BAD_LINES) + "\n"
    third = await _import(sdb, changed)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 47)
    assert (await _totals(sdb))[1] == stored[1] - int(rows[20]["offered"]) + 999


async def test_history_from_before_the_contract_started_is_kept_and_naive_times_are_the_queue_clock(
    sdb: Any,
) -> None:
    await load_reference(sdb)  # the contract starts on 2026-02-01
    header = ",".join(COLUMNS) + "\n"
    result = await _import(sdb, header + "care,2025-06-02 08:00,12,11,9,1,1,0,3300,120\n")
    assert result.rejected == []
    assert result.first_interval == datetime(2025, 6, 2, 11, 0, tzinfo=UTC)  # 08:00 in São Paulo


async def test_a_file_without_the_interval_columns_is_refused_whole(sdb: Any) -> None:
    await load_reference(sdb)
    with pytest.raises(InvalidInputError, match="missing columns answered_within"):
        await _import(sdb, "queue,interval_start,offered,answered\ncare,2026-03-02T08:00:00-03:00,1,1\n")


async def test_anonymous_bank_calls_aggregate_to_the_counts_of_the_log_and_import_once(sdb: Any) -> None:
    await load_reference(sdb)

    async def go() -> Any:
        async with sdb.begin() as session:
            return await import_calls(
                session,
                contract_code="reference",
                queue_code="care",
                source=AB_SLICE,
                fmt="anonymous-bank",
                timezone="Asia/Jerusalem",
            )

    first = await go()
    # Three whole local days of 48 intervals, quiet ones stored as zeros (see tests/fixtures/README.md).
    assert (first.records, first.intervals, first.inserted) == (2381, 144, 144)
    assert first.skipped_calls.keys() <= {"unqueued", "phantom"}
    assert sum(first.skipped_calls.values()) == 2381 - 2191
    assert first.first_interval == datetime(1999, 2, 11, 22, 0, tzinfo=UTC)  # midnight in Israel
    assert await _totals(sdb) == (144, 2191, 1966, 1470, 225)

    second = await go()
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 144)
    assert await _totals(sdb) == (144, 2191, 1966, 1470, 225)


async def test_a_day_split_over_two_files_says_what_the_second_replaced(sdb: Any, tmp_path: Path) -> None:
    """A call log is read as whole days (quiet intervals stored as zeros, so a file imported twice changes nothing):
    a day's calls split over two files keep only the second's, and the import says so instead of replacing quietly."""
    await load_reference(sdb)
    lines = AB_SLICE.read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = tmp_path / "part1.csv", tmp_path / "part2.csv"
    first.write_text("".join(lines[:1000]), encoding="utf-8")
    second.write_text(lines[0] + "".join(lines[1000:]), encoding="utf-8")
    results = []
    for part in (first, second):
        async with sdb.begin() as session:
            results.append(
                await import_calls(
                    session,
                    contract_code="reference",
                    queue_code="care",
                    source=part,
                    fmt="anonymous-bank",
                    timezone="Asia/Jerusalem",
                    source_name=part.name,
                )
            )
    assert results[0].replaced == {}
    assert results[1].replaced == {"part1.csv": results[1].updated} and results[1].updated > 0
    assert results[1].as_dict()["replaced"] == {"part1.csv": results[1].updated}


async def test_calls_need_a_known_queue_and_zone(sdb: Any) -> None:
    await load_reference(sdb)
    async with sdb.begin() as session:
        with pytest.raises(NotFoundError):
            await import_calls(session, contract_code="reference", queue_code="nope", source=AB_SLICE, fmt="cdr")
        with pytest.raises(InvalidInputError, match="unknown time zone"):
            await import_calls(
                session, contract_code="reference", queue_code="care", source=AB_SLICE, fmt="cdr", timezone="Mars/Base"
            )


async def test_year_1_huge_counts_and_huge_fields_cost_their_lines_only(sdb: Any) -> None:
    """Issue 13: history may predate any input (1999 here, 1970 at most), never year 1, where the zone conversion
    overflowed; a count past a million in one interval and a field past 128 KB are named by line too."""
    await load_reference(sdb)
    rows = interval_rows(date(1999, 3, 1), 1, queues={"care": 1.0})
    bad = [
        "care,0001-01-01T08:00:00-03:00,5,5,5,0,0,0,900,10",
        "care,1999-03-05T08:00:00-03:00,1e15,5,5,0,0,0,900,10",
        "care,1999-03-05T08:30:00-03:00,5,5,5,0,0,0," + "9" * 200_000 + ",10",
    ]
    text = interval_csv(rows) + "\n".join(bad) + "\n"
    result = await _import(sdb, text)
    assert [(p.line, p.field) for p in result.rejected] == [(50, "interval_start"), (51, "offered"), (52, "")]
    assert "is outside 1970-01-01 to" in result.rejected[0].problem
    assert result.rejected[1].problem == "'1e15': more than 1,000,000 in one interval"
    assert result.rejected[2].problem == "not a CSV row (field larger than field limit (131072))"
    assert result.inserted == 48
    assert (await _totals(sdb))[0] == 48


def _brazilian_excel(rows: list[dict[str, object]], extra: list[str]) -> bytes:
    """The rows as a Brazilian Excel saves them: ';'-separated, cp1252 (an accented extra column), 1.234,5."""
    from babel.numbers import format_decimal

    def cell(value: object) -> str:
        return format_decimal(value, locale="pt_BR") if isinstance(value, float) else str(value)

    lines = [";".join([*COLUMNS, "observação"])]
    lines += [";".join([*(cell(r[c]) for c in COLUMNS), "ok"]) for r in rows]
    return ("\r\n".join([*lines, *extra]) + "\r\n").encode("cp1252")


async def test_a_brazilian_excel_file_is_read_as_the_comma_file_and_every_error_of_two_bad_rows_is_named(
    sdb: Any, tmp_path: Any
) -> None:
    from ops.tabular import open_table

    await load_reference(sdb)  # a pt-BR contract: its files write 1.234,5
    rows = interval_rows(date(2026, 3, 2), 1, queues={"care": 1.0})
    assert max(float(r["handle_seconds"]) for r in rows) >= 1000  # so the thousands dot is there to be read
    bad = [
        "care;2026-03-02T08:15:00-03:00;x;5;5;0;0;0;muito;10;ok",  # off the grid, offered and handle not numbers
        "billing;2026-03-02T08:00:00-03:00;-4;0;0;0;0;0;0;0;ok",  # no such queue, a negative count
    ]
    path = tmp_path / "excel.csv"
    path.write_bytes(_brazilian_excel(rows, bad))
    assert re.search(rb";\d{1,2}\.\d{3},\d;", path.read_bytes())  # handle seconds written 12.345,6
    with open_table(path, max_rows=1000) as table:
        assert (table.encoding, table.delimiter) == ("cp1252", ";")
        async with sdb.begin() as session:
            result = await import_intervals(session, contract_code="reference", table=table, source=path.name)
    assert (result.records, result.inserted) == (50, 48)
    assert [(p.line, p.field) for p in result.rejected] == [
        (50, "interval_start"),
        (50, "offered"),
        (50, "handle_seconds"),
        (51, "queue"),
        (51, "offered"),
    ]
    async with sdb() as session:
        stored = (await session.execute(select(func.sum(IntervalStat.handle_seconds)))).scalar_one()
    assert float(stored) == pytest.approx(sum(float(r["handle_seconds"]) for r in rows))  # type: ignore[arg-type]
    again = await _import(sdb, interval_csv(rows))  # the comma file of the same rows finds them all stored
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 48)
