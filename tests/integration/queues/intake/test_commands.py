"""`ops import tickets|complaints`, as an operator runs them."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from ops import bounds
from ops.cli.main import main
from ops.db import make_engine, make_sessionmaker
from ops.queues.models import Ticket
from tests.conftest import FIXTURES

TICKETS_CSV = FIXTURES / "tickets_import.csv"
COMPLAINTS = FIXTURES / "complaints_consumidor_gov_br_telecom_2014-05_2015-01_slice.csv"


def tickets(url: str) -> list[Ticket]:
    async def go() -> list[Ticket]:
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                return list((await session.execute(select(Ticket).order_by(Ticket.id))).scalars())
        finally:
            await engine.dispose()

    return asyncio.run(go())


EXPECTED_REJECTIONS = [
    "line 5: rejected: channel: required",
    "line 6: rejected: reason: unknown reason 'teleport' of contract reference",
    "line 7: rejected: customer.followers: expected a non-negative integer, got 'muitos'",
    "line 8: rejected: created_at: 'ontem' is not an ISO 8601 date-time such as 2026-11-23T10:15:00-03:00",
    "line 9: rejected: expected 12 columns, got 4",
]


def test_import_tickets_from_csv_stores_good_rows_and_names_bad_ones(reference_cli: CliRunner, sqlite_url: str) -> None:
    result = reference_cli.invoke(main, ["import", "tickets", str(TICKETS_CSV), "--contract", "reference"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if "rejected:" in line] == EXPECTED_REJECTIONS
    accepted = [line for line in lines if line.startswith("line ") and "rejected" not in line]
    assert [line.split()[2] for line in accepted] == ["created", "created", "created", "existing", "created"]
    assert accepted[2].endswith("critical")  # "vou no Reclame Aqui"
    assert accepted[4].endswith("(flagged)")
    assert lines[-1].endswith("5 accepted (4 created, 1 existing), 5 rejected")

    stored = tickets(sqlite_url)
    assert [t.external_id for t in stored] == ["CSV-001", "CSV-002", "CSV-003", "CSV-009"]
    by_id = {t.external_id: t for t in stored}
    # A time without offset is the contract's local time (São Paulo, UTC-3 in March).
    assert by_id["CSV-002"].created_at.isoformat() == "2026-03-02T12:40:00+00:00"
    assert by_id["CSV-003"].customer == {"id": "C102", "name": "Carla Dias", "handle": "@carla", "followers": 5200}
    assert by_id["CSV-001"].raw["customer_name"] == "Ana Souza"  # the row as it came

    again = reference_cli.invoke(main, ["import", "tickets", str(TICKETS_CSV), "--contract", "reference", "--json"])
    records = [json.loads(line) for line in again.stdout.splitlines() if line.startswith("{")]
    assert {r["status"] for r in records} == {"existing"}
    assert len(tickets(sqlite_url)) == 4


def test_import_tickets_from_xlsx(reference_cli: CliRunner, sqlite_url: str, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    with TICKETS_CSV.open(encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle)):
            cells: list[Any] = list(row)
            if number and len(cells) == 12:
                # Spreadsheets hold numbers and dates as such, not as text.
                cells[10] = float(cells[10]) if cells[10].isdigit() else cells[10]
                if cells[11][:4] == "2026":
                    cells[11] = datetime.fromisoformat(cells[11][:16].replace("T", " "))
            sheet.append(cells)
    sheet.append([])  # a blank row is not a ticket
    path = tmp_path / "tickets.xlsx"
    book.save(path)

    result = reference_cli.invoke(main, ["import", "tickets", str(path), "--contract", "reference"])
    assert result.exit_code == 1
    # A short row is only empty cells in a sheet: line 9 has what a ticket needs.
    assert [line for line in result.output.splitlines() if "rejected:" in line] == EXPECTED_REJECTIONS[:4]
    stored = {t.external_id: t for t in tickets(sqlite_url)}
    assert sorted(stored) == ["CSV-001", "CSV-002", "CSV-003", "CSV-008", "CSV-009"]
    assert stored["CSV-003"].customer["followers"] == 5200
    assert stored["CSV-001"].created_at.isoformat() == "2026-03-02T12:15:00+00:00"


def test_import_reads_a_brazilian_excel_csv_and_refuses_files_it_cannot_read(
    reference_cli: CliRunner, tmp_path: Path, sqlite_url: str
) -> None:
    # What Excel saves on a Brazilian Windows: semicolons and cp1252.
    excel = tmp_path / "excel.csv"
    excel.write_bytes(
        "external_id;channel;reason;subject;body;created_at\r\n"
        "X1;email;undue_charge;Cobrança indevida;Não contratei o serviço.;2026-03-02 09:15\r\n".encode("cp1252")
    )
    read = reference_cli.invoke(main, ["import", "tickets", str(excel), "--contract", "reference"])
    assert read.exit_code == 0, read.output
    stored = {t.external_id: t for t in tickets(sqlite_url)}
    assert stored["X1"].subject == "Cobrança indevida"
    fake = tmp_path / "export.xlsx"
    fake.write_text("external_id,channel\nX2,email\n", encoding="utf-8")  # a CSV saved under an .xlsx name
    result = reference_cli.invoke(main, ["import", "tickets", str(fake), "--contract", "reference"])
    assert result.exit_code == 2
    assert "not a readable XLSX workbook" in result.output and "Traceback" not in result.output
    unknown = reference_cli.invoke(main, ["import", "tickets", str(TICKETS_CSV), "--contract", "nobody"])
    assert unknown.exit_code == 2  # refused before reading a row, not once per row
    assert "unknown contract 'nobody'" in unknown.output


def test_replay_complaints_keeps_their_dates_reasons_and_states(reference_cli: CliRunner, sqlite_url: str) -> None:
    result = reference_cli.invoke(main, ["import", "complaints", str(COMPLAINTS), "--contract", "reference"])
    assert result.exit_code == 0, result.output
    assert "28 complaints replayed as tickets, 0 already there, 0 rejected" in result.output

    stored = tickets(sqlite_url)
    assert len(stored) == 28  # the two identical complaints are two tickets
    assert {t.channel for t in stored} == {"consumidor_gov"}
    assert {t.status for t in stored} == {"closed"}
    first = stored[0]  # file line 2: São Luís (MA), opened 16/05, answered 16/05, closed 19/05/2014
    assert first.customer == {"area": "São Luís - MA", "state": "MA", "region": "NE"}
    assert first.fields["uf"] == "MA"
    assert (first.fields["opened_on"], first.fields["answered_on"], first.fields["closed_on"]) == (
        "2014-05-16",
        "2014-05-16",
        "2014-05-19",
    )
    assert first.created_at.isoformat() == "2014-05-16T03:00:00+00:00"  # local midnight
    assert first.first_response_at is not None and first.first_response_at.isoformat() == "2014-05-16T03:00:00+00:00"
    assert first.closed_at is not None and first.closed_at.isoformat() == "2014-05-19T03:00:00+00:00"
    assert first.protocol.startswith("20140516")
    assert first.raw["grupo_problema"] == "Vício de Qualidade"
    unanswered = [t for t in stored if t.fields["answered_on"] is None]
    assert len(unanswered) == 2 and all(t.first_response_at is None for t in unanswered)

    queues = {t.fields["problem_group"]: t.flagged for t in stored}
    assert queues["Saúde e Segurançaa"] is True  # no reason for that group: flagged in the default queue
    assert not any(flag for group, flag in queues.items() if group != "Saúde e Segurançaa")

    again = reference_cli.invoke(main, ["import", "complaints", str(COMPLAINTS), "--contract", "reference"])
    assert "0 complaints replayed as tickets, 28 already there" in again.output
    assert len(tickets(sqlite_url)) == 28


def test_a_file_that_is_not_a_complaint_export_is_one_line(reference_cli: CliRunner, tmp_path: Path) -> None:
    # It was a progress line, then "stopped: ...; committed before it: ... The same command again stores the rest."
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    result = reference_cli.invoke(main, ["import", "complaints", str(other), "--contract", "reference"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: not a consumidor.gov.br file: {other}: missing column(s) uf, data_abertura, data_finalizacao, "
        "grupo_problema; found a, b (read as CSV, utf-8, ','-separated; pass --encoding / --delimiter if that is wrong)"
    ]


def test_a_huge_field_and_a_year_1_date_cost_their_rows_only(
    reference_cli: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    """Issue 13: a 200 KB field gave a _csv.Error traceback; a follower count of '²' and a year-1 date on line 1,202
    a traceback after 1,000 rows were committed, losing the good rows after it. Now each costs its own row, reported
    by line."""
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "channel", "subject", "body", "created_at", "customer_followers"])
        for line in range(2, 1502):
            created = "0001-01-01T10:00:00" if line == 1202 else "2026-03-02T10:00:00-03:00"
            body = "x" * 200_000 if line == 700 else "Sem conexão desde ontem"
            followers = "²" if line == 900 else ""  # passes isdigit(), and int() used to abort the import
            writer.writerow([f"BIG-{line}", "email", "Sem conexão", body, created, followers])
    result = reference_cli.invoke(main, ["import", "tickets", str(path), "--contract", "reference"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    rejected = [line for line in result.stderr.splitlines() if "rejected:" in line]
    assert rejected == [
        "line 700: rejected: not a CSV row (field larger than field limit (131072))",
        "line 900: rejected: customer.followers: expected a non-negative integer, got '²'",
        f"line 1202: rejected: created_at: 0001-01-01T10:00:00 is outside 2000-01-01 to {bounds.window().latest()}",
    ]
    assert result.stdout.splitlines()[-1] == f"{path}: 1497 accepted (1497 created, 0 existing), 3 rejected"
    assert len(tickets(sqlite_url)) == 1497
