"""Price index series (IPCA, IGP-M, INPC, labour agreements) read from a file's rows, and what a new file changes.

The rows come from ops.tabular (the one reader: CSV of any separator and encoding, or XLSX); nothing here opens a
file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ops import bounds
from ops.billing.money import to_decimal
from ops.rows import Row, parse_number

INDEX_NAME = re.compile(r"^(?:IPCA|IGP-M|INPC|cct_[A-Za-z0-9][A-Za-z0-9_-]*)$")
"""An index name a series may carry: one of the three public indices, spelled exactly as here, or a collective
labour agreement series `cct_<code>` (a letter or digit, then letters, digits, `_` or `-`, e.g. `cct_sinttel_sp`)."""

WIDE_COLUMNS = {"ipca_pct_month": "IPCA", "igpm_pct_month": "IGP-M"}
"""The wide form's value columns and the index each one holds."""

LONG_COLUMNS = ("month", "index", "pct")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_EXPECTED = "expected 'month,ipca_pct_month,igpm_pct_month' (wide) or 'month,index,pct' (long)"


class IndexFileError(ValueError):
    """A series file that cannot be read; the message names the line (1 = header), the column and the problem,
    then those of every other bad row (`others`), so that one reading lists them all."""

    line: int
    column: str | None
    problem: str
    where: str

    def __init__(self, line: int, column: str | None, problem: str, others: Sequence[IndexFileError] = ()) -> None:
        where = f"line {line}" if column is None else f"line {line}, column {column!r}"
        self.where = where
        super().__init__("; ".join([f"{where}: {problem}", *(f"{o.where}: {o.problem}" for o in others)]))
        self.line = line
        self.column = column
        self.problem = problem
        self.others = list(others)

    @property
    def errors(self) -> list[IndexFileError]:
        """This error and every other one, in line order."""
        return [self, *self.others]


def _all(errors: list[IndexFileError]) -> IndexFileError:
    return IndexFileError(errors[0].line, errors[0].column, errors[0].problem, errors[1:])


@dataclass(frozen=True)
class IndexValue:
    """One published monthly change of an index, in percent (0.52 means +0.52 % over the month)."""

    index: str
    month: date
    pct: Decimal

    def __post_init__(self) -> None:
        if self.month.day != 1:
            raise ValueError(f"{self.index} {self.month}: a month is given by its first day")


@dataclass(frozen=True)
class SeriesChange:
    """What an incoming file would do to the stored series. A revised value is kept as a revision, never
    overwritten silently: `revised` pairs the new value with the stored percentage it replaces."""

    new: list[IndexValue]
    unchanged: list[IndexValue]
    revised: list[tuple[IndexValue, Decimal]]


def month_start(day: date) -> date:
    """The first day of the month holding `day`."""
    return day.replace(day=1)


def shift_month(month: date, months: int) -> date:
    """The first day of the month `months` after (or before, if negative) the month holding `month`."""
    serial = month.year * 12 + month.month - 1 + months
    return date(serial // 12, serial % 12 + 1, 1)


def month_label(month: date) -> str:
    """A month as YYYY-MM, the form the files and the messages use."""
    return f"{month.year:04d}-{month.month:02d}"


def parse_series(columns: Sequence[str], rows: Iterable[Row], *, locale: str = "en") -> list[IndexValue]:
    """The values of a series file, given its header `columns` and its `rows` (ops.tabular), sorted by index then
    month; percentages as `locale` writes them (0.52 in en, 0,52 in pt-BR and es-AR).

    Two forms, told apart by the header (names are case-insensitive; extra columns are ignored):
    wide `month,ipca_pct_month,igpm_pct_month` (an empty cell is a month not yet published) and long
    `month,index,pct` (one row per index and month; the name must match `INDEX_NAME`). A value repeated with
    the same percentage is kept once; with a different one it is an error, since the file contradicts itself.
    Every bad row's every problem is found before the IndexFileError that lists them.
    """
    header = [column.strip().lower() for column in columns]
    if not any(header):
        raise IndexFileError(1, None, f"empty file, {_EXPECTED}")
    long_form = all(column in header for column in LONG_COLUMNS)
    if not long_form and ("month" not in header or not any(column in header for column in WIDE_COLUMNS)):
        raise IndexFileError(1, None, f"unknown header {','.join(header)!r}, {_EXPECTED}")
    if len(set(header)) != len(header):
        duplicated = sorted({column for column in header if header.count(column) > 1})
        raise IndexFileError(1, duplicated[0], "column appears twice in the header")
    names = dict(zip(columns, header, strict=True))

    seen: dict[tuple[str, date], tuple[Decimal, int]] = {}
    values: list[IndexValue] = []
    errors: list[IndexFileError] = []
    for row in rows:
        line = row.line
        if row.problem is not None:
            errors.append(IndexFileError(line, None, row.problem))
            continue
        cells = {names[column]: _text(value) for column, value in row.values.items() if column in names}
        try:
            month = _month(cells.get("month", ""), line)
        except IndexFileError as error:
            errors.append(error)
            month = None
        found: list[tuple[str, str]] = []
        if long_form:
            name = cells.get("index", "")
            if not INDEX_NAME.match(name):
                problem = f"unknown index {name!r}: expected IPCA, IGP-M, INPC or cct_<code>"
                errors.append(IndexFileError(line, "index", problem))
            elif not cells.get("pct"):
                errors.append(IndexFileError(line, "pct", "empty: leave out the row of a month not yet published"))
            else:
                found = [(name, "pct")]
        else:
            found = [(WIDE_COLUMNS[c], c) for c in header if c in WIDE_COLUMNS and cells.get(c)]
        for name, column in found:
            try:
                pct = _pct(cells[column], line, column, locale)
            except IndexFileError as error:
                errors.append(error)
                continue
            if month is None:
                continue
            key = (name, month)
            if key in seen:
                previous, previous_line = seen[key]
                if previous != pct:
                    problem = f"{name} {month_label(month)} is {pct} here and {previous} on line {previous_line}"
                    errors.append(IndexFileError(line, column, problem))
                continue
            seen[key] = (pct, line)
            values.append(IndexValue(name, month, pct))
    if errors:
        raise _all(errors)
    return sorted(values, key=lambda value: (value.index, value.month))


def _text(value: Any) -> str:
    """A cell as text: a spreadsheet's date cell as the month it falls in."""
    if value is None:
        return ""
    if isinstance(value, date):
        return month_label(value)
    return str(value).strip()


def series_by_index(values: Iterable[IndexValue]) -> dict[str, dict[date, Decimal]]:
    """Values grouped as {index: {month: pct}}, the shape readjustment and recovery read."""
    grouped: dict[str, dict[date, Decimal]] = {}
    for value in values:
        grouped.setdefault(value.index, {})[value.month] = value.pct
    return grouped


def diff_series(stored: Mapping[tuple[str, date], Decimal], incoming: Sequence[IndexValue]) -> SeriesChange:
    """Sort incoming values into new, unchanged and revised against the stored ones (compared as numbers, so
    0.80 equals 0.8). Incoming values that contradict each other are refused rather than one silently winning."""
    change = SeriesChange(new=[], unchanged=[], revised=[])
    first: dict[tuple[str, date], Decimal] = {}
    for value in incoming:
        key = (value.index, value.month)
        if key in first:
            if first[key] != value.pct:
                raise ValueError(
                    f"{value.index} {month_label(value.month)}: incoming values {first[key]} and {value.pct} differ"
                )
            continue
        first[key] = value.pct
        old = stored.get(key)
        if old is None:
            change.new.append(value)
        elif old == value.pct:
            change.unchanged.append(value)
        else:
            change.revised.append((value, old))
    return change


def _month(cell: str, line: int) -> date:
    match = _MONTH.match(cell)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise IndexFileError(line, "month", f"{cell!r} is not a month: must be YYYY-MM")
    month = date(int(match.group(1)), int(match.group(2)), 1)
    if (problem := bounds.history_problem(month)) is not None:  # year 0 was a traceback, year 1 a later 500
        raise IndexFileError(line, "month", problem)
    return month


def _pct(cell: str, line: int, column: str, locale: str) -> Decimal:
    if locale == "en" and "," in cell:
        problem = f"{cell!r} has a decimal comma, expected a point (0.52), or pass --locale pt-BR"
        raise IndexFileError(line, column, problem)
    try:
        pct = to_decimal(parse_number(cell, locale) if locale != "en" else cell, "pct")
    except ValueError:
        raise IndexFileError(line, column, f"{cell!r} is not a finite number") from None
    # A month cannot lose everything: -100 % would make every later factor zero, so it can only be a typo.
    if pct <= -100:
        raise IndexFileError(line, column, f"{cell} is not a monthly change: must be above -100")
    return pct
