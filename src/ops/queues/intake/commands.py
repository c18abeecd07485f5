"""`ops import tickets|complaints`: CRM exports (CSV or XLSX) and consumidor.gov.br complaints into tickets."""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from ops.cli.support import domain_errors, echo_json, run, session_scope
from ops.errors import InvalidInputError
from ops.queues.intake import complaints, rules, services

BATCH = 500
# File columns -> the nested `customer` object of a delivery ("customer.area" works too).
_CUSTOMER_COLUMNS = ("id", "name", "area", "segment", "handle", "followers")


def row_payload(row: dict[str, Any]) -> dict[str, Any]:
    """A file row (CSV text or XLSX cells) as a delivery: empty cells are absent, customer_* and
    customer.* columns nest under `customer`."""
    out: dict[str, Any] = {}
    customer: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        name = str(key).strip().lower()
        for prefix in ("customer_", "customer."):
            if name.startswith(prefix) and name[len(prefix) :] in _CUSTOMER_COLUMNS:
                customer[name[len(prefix) :]] = value
                break
        else:
            out[name] = value
    if customer:
        out["customer"] = customer
    return out


def row_ticket(row: dict[str, Any]) -> rules.TicketData:
    """A checked delivery from a file row, keeping the row as it was in the file as the raw payload."""
    parsed = rules.parse_ticket(row_payload(row))
    return replace(parsed, raw={k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items() if k})


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, row) per data row of a CSV or XLSX file, or (line, problem) for a broken row."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path)
        return
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # what Excel writes on a Brazilian or Argentine Windows
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    header = next(reader, None)
    if not header:
        raise ValueError(f"{path}: empty file")
    names = [h.strip() for h in header]
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a field past the csv module's limit (128 KB), a stray quote: this row only
            yield reader.line_num, f"not a CSV row ({exc})"
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            yield reader.line_num, f"expected {len(names)} columns, got {len(cells)}"
            continue
        yield reader.line_num, dict(zip(names, cells, strict=True))


def _delimiter(text: str) -> str:
    """The header line's separator: a comma, or the semicolon a Brazilian Excel writes, or a tab."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ValueError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise ValueError(f"{path}: empty sheet")
        names = [str(h).strip() if h is not None else "" for h in header]
        for number, cells in enumerate(rows, start=2):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            yield number, {n: _cell(c) for n, c in zip(names, cells, strict=False) if n}
    finally:
        book.close()


def _cell(value: Any) -> Any:
    # Spreadsheets store ids and counts as floats (1001.0): give them back as the integers they are.
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(value)
    return value


def _problems(errors: list[dict[str, str]]) -> str:
    return "; ".join(f"{e['field']}: {e['problem']}" if e.get("field") else e["problem"] for e in errors)


@click.command("tickets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--contract", "contract_code", required=True, help="Contract code the tickets belong to.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per row instead of text.")
@domain_errors
def import_tickets(file: Path, contract_code: str, as_json: bool) -> None:
    """Import tickets from a CSV or XLSX file whose header names the fields (external_id, channel,
    reason, subject, body, customer_id, customer_name, customer_area, customer_segment,
    customer_handle, customer_followers, created_at, source).

    Prints every row as accepted (created, or existing when imported before) or rejected with its
    reasons; good rows are stored even when others are rejected. Exit status 1 when any row was rejected.
    """
    rows = list(read_rows(file))

    async def go() -> tuple[int, int, int]:
        created = existing = rejected = 0
        first = True
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            good: list[tuple[int, rules.TicketData]] = []
            refused: dict[int, list[dict[str, str]]] = {}
            for line, row in chunk:
                if isinstance(row, str):
                    refused[line] = [{"field": "", "problem": row}]
                    continue
                try:
                    good.append((line, row_ticket(row)))
                except InvalidInputError as exc:
                    refused[line] = list(exc.extra or [{"field": "", "problem": exc.message}])
            async with session_scope(migrate=first) as session:
                first = False
                results = await services.create_tickets(
                    session, contract_code=contract_code, rows=[r for _, r in good], source_kind="file"
                )
                lines = {line: r for (line, _), r in zip(good, results, strict=True)}
                for line, _row in chunk:
                    result = lines.get(line)
                    if result is None or result.status == "rejected":
                        errors = result.errors if result is not None else refused[line]
                        rejected += 1
                        _say(as_json, {"line": line, "status": "rejected", "errors": errors}, err=True)
                        continue
                    ticket = result.ticket
                    assert ticket is not None
                    created += result.status == "created"
                    existing += result.status == "existing"
                    _say(
                        as_json,
                        {
                            "line": line,
                            "status": result.status,
                            "id": ticket.id,
                            "protocol": ticket.protocol,
                            "priority": ticket.priority,
                            "flagged": ticket.flagged,
                        },
                    )
        return created, existing, rejected

    created, existing, rejected = run(go())
    click.echo(f"{file}: {created + existing} accepted ({created} created, {existing} existing), {rejected} rejected")
    if rejected:
        sys.exit(1)


def _say(as_json: bool, record: dict[str, Any], *, err: bool = False) -> None:
    if as_json:
        echo_json(record) if not err else click.echo(_json(record), err=True)
        return
    if record["status"] == "rejected":
        click.echo(f"line {record['line']}: rejected: {_problems(record['errors'])}", err=True)
    else:
        flag = " (flagged)" if record["flagged"] else ""
        click.echo(
            f"line {record['line']}: {record['status']} {record['protocol']} ticket {record['id']} "
            f"{record['priority']}{flag}"
        )


def _json(record: dict[str, Any]) -> str:
    import json

    return json.dumps(record, ensure_ascii=False, default=str)


@click.command("complaints")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--contract", "contract_code", required=True, help="Contract code the tickets belong to.")
@click.option("--limit", type=int, default=None, help="Replay only the first N rows.")
@domain_errors
def import_complaints(file: Path, contract_code: str, limit: int | None) -> None:
    """Replay consumidor.gov.br complaints (CSV with the SENACON columns) as closed tickets: reason
    from the problem group, opened / answered / closed dates kept, state (UF) in customer.state.
    Replaying the same file again stores nothing new. Exit status 1 when any row was rejected."""
    text = file.read_text(encoding="utf-8-sig")

    async def go() -> tuple[int, int, int, float]:
        started = datetime.now()
        created = existing = rejected = 0
        async with session_scope(migrate=True) as session:
            tz = ZoneInfo((await services.load_intake(session, contract_code=contract_code)).rules.timezone.key)
        items = complaints.read_complaints(text, tz=tz)
        count = 0
        for batch in complaints.batches(items, 1000):
            if limit is not None:
                batch = batch[: max(0, limit - count)]
                if not batch:
                    break
            count += len(batch)
            for problem in (p for p in batch if isinstance(p, complaints.RowProblem)):
                rejected += 1
                click.echo(f"line {problem.line}: rejected: {problem.problem}", err=True)
            good = [t for t in batch if isinstance(t, rules.TicketData)]
            async with session_scope(migrate=False) as session:
                results = await services.create_tickets(
                    session, contract_code=contract_code, rows=good, source_kind="replay", detect_outages=False
                )
            for r in results:
                created += r.status == "created"
                existing += r.status == "existing"
                if r.status == "rejected":
                    rejected += 1
                    click.echo(f"row {r.index}: rejected: {_problems(r.errors)}", err=True)
        return created, existing, rejected, (datetime.now() - started).total_seconds()

    created, existing, rejected, seconds = run(go())
    click.echo(
        f"{file.name}: {created} complaints replayed as tickets, {existing} already there, "
        f"{rejected} rejected ({seconds:.1f} s)"
    )
    if rejected:
        sys.exit(1)
