"""One reader for every tabular import: CSV (its encoding and delimiter detected) or XLSX (openpyxl, read-only),
streamed row by row, bounded in rows per file and in characters per field; numbers written the locale's way.

A file that cannot be read at all raises `TableError`, a ValueError naming the file and how it was read. A row
that cannot be read (a field past the limit, a stray quote, a wrong number of cells) comes back as a `Row` with
its `problem`, so the caller reports it and goes on with the next row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ops.rows import LOCALES, Row, parse_number

__all__ = ["LOCALES", "Row", "Table", "TableError", "open_data", "open_table", "parse_number"]

# The csv module's default field limit (128 KB), applied to XLSX cells too: no ticket field is longer.
FIELD_LIMIT = 131_072
DELIMITERS = (",", ";", "\t", "|")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_CHUNK = 1 << 20
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

csv.field_size_limit(FIELD_LIMIT)


class TableError(ValueError):
    """The file as a whole cannot be read: the message names the file and what was found."""


@dataclass(slots=True)
class Table:
    """An open file: its columns, how it was read, and its rows streamed once by iterating."""

    path: Path
    columns: list[str]
    encoding: str | None  # None for XLSX
    delimiter: str | None
    max_rows: int
    _rows: Iterator[Row]
    _close: Callable[[], None]

    def __iter__(self) -> Iterator[Row]:
        return self._rows

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """How the file was read, for an error message: 'CSV, cp1252, ';'-separated' or 'XLSX, first sheet'."""
        if self.encoding is None:
            return "XLSX, first sheet"
        return f"CSV, {self.encoding}, {self.delimiter!r}-separated"

    def require(self, *names: str) -> None:
        """TableError naming every missing column, the columns found and how the file was read."""
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise TableError(
                f"{self.path}: missing column(s) {', '.join(missing)}; found {_shown(self.columns)} "
                f"(read as {self.describe()}; pass --encoding / --delimiter if that is wrong)"
            )


def _shown(columns: list[str]) -> str:
    """Column names for a message: unprintable ones (a binary file read as text) quoted with escapes."""
    return ", ".join(c if c.isprintable() else repr(c) for c in columns[:20]) or "none"


def open_table(
    path: Path, *, max_rows: int, encoding: str | None = None, delimiter: str | None = None, lower: bool = False
) -> Table:
    """The file's header read and its rows ready to stream. `lower` lowercases column names. More data rows than
    `max_rows` is a TableError: before any row for a CSV (counted in the detection pass), when the sheet says so
    or at the first row past it for an XLSX."""
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _open_xlsx(path, max_rows=max_rows, lower=lower)
    return _open_csv(path, max_rows=max_rows, encoding=encoding, delimiter=delimiter, lower=lower)


def open_data(
    data: bytes,
    name: str,
    *,
    max_rows: int,
    encoding: str | None = None,
    delimiter: str | None = None,
    lower: bool = False,
) -> Table:
    """As open_table, for a file received as bytes (an upload): `name` stands for it in every message. An XLSX is
    told by its name or its zip signature."""
    path = Path(name)
    if path.suffix.lower() in XLSX_SUFFIXES or data[:4] == b"PK\x03\x04":
        return _open_xlsx(path, max_rows=max_rows, lower=lower, data=data)
    return _open_csv(path, max_rows=max_rows, encoding=encoding, delimiter=delimiter, lower=lower, data=data)


def _binary(path: Path, data: bytes | None) -> IO[bytes]:
    return path.open("rb") if data is None else io.BytesIO(data)


def _too_many(path: Path, max_rows: int, found: str) -> TableError:
    return TableError(
        f"{path}: {found} rows, more than the {max_rows:,} a file may hold (OPS_IMPORT_MAX_ROWS): split the file"
    )


# --- CSV ------------------------------------------------------------------------------------------------------


def detect_encoding(path: Path, data: bytes | None = None) -> tuple[str, int]:
    """The file's encoding (a BOM's; else UTF-8 when every byte is valid UTF-8; else cp1252, which Excel writes
    on a Brazilian or Argentine Windows) and its count of line feeds, in one pass of 1 MB reads. `data`, when
    given, is the file's content and `path` only its name."""
    with _binary(path, data) as handle:
        head = handle.read(4)
        for bom, name in _BOMS:
            if head.startswith(bom):
                return name, _count_lines(handle, head)
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines = offset = 0
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
                lines += chunk.count(b"\n")
                offset += len(chunk)
            decoder.decode(b"", final=True)
            return "utf-8", lines
        except UnicodeDecodeError as exc:
            utf8 = f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {offset + exc.start:,})"
        handle.seek(0)
        lines = offset = 0
        while chunk := handle.read(_CHUNK):
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise TableError(
                    f"{path}: neither UTF-8 nor cp1252 text: {utf8}, and byte 0x{chunk[exc.start]:02x} at offset "
                    f"{offset + exc.start:,} is not cp1252; save it as CSV UTF-8 or pass --encoding"
                ) from None
            lines += chunk.count(b"\n")
            offset += len(chunk)
        return "cp1252", lines


def _count_lines(handle: Any, head: bytes) -> int:
    lines = head.count(b"\n")
    while chunk := handle.read(_CHUNK):
        lines += chunk.count(b"\n")
    return int(lines)


def detect_delimiter(header: str) -> str:
    """The header line's separator: the most frequent of comma, semicolon (a Brazilian Excel), tab and pipe outside
    quotes; a comma for a one-column file."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# How a separator is typed where a tab cannot be: `--delimiter tab`, or the escape `\t`.
_NAMED_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _one_character(path: Path, delimiter: str) -> str:
    one = _NAMED_DELIMITERS.get(delimiter.lower(), delimiter)
    if len(one) != 1:
        named = ", ".join(_NAMED_DELIMITERS)
        raise TableError(f"{path}: the delimiter must be one character or one of {named}, not {delimiter!r}")
    return one


def _open_csv(
    path: Path, *, max_rows: int, encoding: str | None, delimiter: str | None, lower: bool, data: bytes | None = None
) -> Table:
    if encoding is None:
        encoding, lines = detect_encoding(path, data)
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise TableError(f"{path}: unknown encoding {encoding!r}") from None
        lines = -1
    handle = io.TextIOWrapper(_binary(path, data), encoding=encoding, newline="", errors="strict")
    try:
        header_line = handle.readline()
        if not header_line.strip():
            raise TableError(f"{path}: empty file (no header line)")
        delimiter = _one_character(path, delimiter) if delimiter else detect_delimiter(header_line)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        columns = _names(next(reader), lower)
        _check_columns(path, columns)
        if lines > max_rows:  # more line feeds than rows allowed: count the rows themselves (quoted line breaks)
            count = _count_rows(path, encoding, delimiter, data)
            if count > max_rows:
                raise _too_many(path, max_rows, f"{count:,}")
    except UnicodeDecodeError as exc:
        handle.close()
        raise TableError(f"{path}: not {encoding} text ({exc.reason}); pass the right --encoding") from None
    except BaseException:
        handle.close()
        raise
    rows = _csv_rows(path, handle, reader, columns, max_rows, encoding)
    return Table(path, columns, encoding, delimiter, max_rows, rows, handle.close)


def _names(header: list[str] | tuple[Any, ...], lower: bool) -> list[str]:
    names = ["" if h is None else str(h).strip().lstrip("\ufeff") for h in header]
    return [n.lower() for n in names] if lower else names


def _check_columns(path: Path, columns: list[str]) -> None:
    seen: set[str] = set()
    for name in columns:
        if name and name in seen:
            raise TableError(f"{path}: column {name!r} appears twice in the header")
        seen.add(name)


def _count_rows(path: Path, encoding: str, delimiter: str, data: bytes | None) -> int:
    with io.TextIOWrapper(_binary(path, data), encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        count = -1  # the header
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return count
            except csv.Error:
                count += 1
                continue
            count += any(c.strip() for c in cells)


def _csv_rows(path: Path, handle: Any, reader: Any, columns: list[str], max_rows: int, encoding: str) -> Iterator[Row]:
    width = len(columns)
    count = 0
    with handle:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a field past the limit, a stray quote: this row only
                yield Row(reader.line_num, problem=f"not a CSV row ({exc})")
                continue
            except UnicodeDecodeError as exc:  # only with an --encoding given: detection read every byte
                raise TableError(f"{path}: not {encoding} text after line {reader.line_num} ({exc.reason})") from None
            if len(cells) != width:
                if not any(c.strip() for c in cells):
                    continue
                yield Row(reader.line_num, problem=f"expected {width} columns, got {len(cells)}")
                continue
            count += 1
            if count > max_rows:
                raise _too_many(path, max_rows, "more than that")
            yield Row(reader.line_num, dict(zip(columns, cells, strict=True)))


# --- XLSX -----------------------------------------------------------------------------------------------------


def _open_xlsx(path: Path, *, max_rows: int, lower: bool, data: bytes | None = None) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path if data is None else io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise TableError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        sheet = book.worksheets[0]
        declared = sheet.max_row  # from the sheet's <dimension>, when the writer put one
        if isinstance(declared, int) and declared - 1 > max_rows:
            raise _too_many(path, max_rows, f"{declared - 1:,}")
        header = next(sheet.iter_rows(max_row=1, values_only=True), None)
        if not header or all(h is None for h in header):
            raise TableError(f"{path}: empty sheet (no header row)")
        columns = _names(header, lower)
        _check_columns(path, columns)
    except BaseException:
        book.close()
        raise
    return Table(path, columns, None, None, max_rows, _xlsx_rows(path, book, columns, max_rows), book.close)


def _xlsx_rows(path: Path, book: Any, columns: list[str], max_rows: int) -> Iterator[Row]:
    count = 0
    try:
        rows = book.worksheets[0].iter_rows(min_row=2, max_col=len(columns), values_only=True)
        for number, cells in enumerate(rows, start=2):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            count += 1
            if count > max_rows:
                raise _too_many(path, max_rows, "more than that")
            long = next(
                (n for n, c in zip(columns, cells, strict=False) if isinstance(c, str) and len(c) > FIELD_LIMIT), None
            )
            if long is not None:
                yield Row(number, problem=f"{long}: longer than {FIELD_LIMIT:,} characters")
                continue
            yield Row(number, {n: _cell(c) for n, c in zip(columns, cells, strict=False) if n})
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, TableError):
            raise
        raise TableError(f"{path}: the sheet breaks off ({type(exc).__name__}: {exc})") from None
    finally:
        book.close()


def _cell(value: Any) -> Any:
    # Spreadsheets store ids and counts as floats (1001.0): give them back as the integers they are.
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(value)
    return value
