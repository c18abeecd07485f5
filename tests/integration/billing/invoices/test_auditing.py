"""An invoice as billed audited against the contract and the approved measurement, on the real IPCA and IGP-M series:
a planted file with every difference and its amount, a clean file (CSV and XLSX) with none, the price a wrong one
was (before the readjustment, readjusted by another index), and clear errors; through `ops invoice audit` and the API,
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.billing.indices import services as indices
from ops.billing.invoices.auditing import MEASURED_KINDS, read_rows
from ops.billing.money import cents
from ops.errors import InvalidInputError
from tests.helpers import bearer, load_reference, token
from tests.integration.billing.factories import measurement
from tests.integration.billing.indices.conftest import SERIES_FILE, Ops, dated_contract

D = Decimal
HEADER = ["description", "kind", "quantity", "unit_price", "amount"]
# The reference contract moved to anniversaries 2024-03-01 and 2025-03-01 (it runs 2023-03-01..2026-02-28), both
# applied on the fixture's IPCA: YEAR_1 = base x 1.04506637, YEAR_2 = base x 1.04506637 x 1.04559874 (see
# indices/test_readjustment_flow.py for the factors by hand).
YEAR_1 = {"position_month": D("10241.6504"), "reinforcement_hour": D("64.7941"), "oncall_hour": D("250.8159")}
YEAR_1["ticket_minute"] = D("1.0973")
YEAR_2 = {"position_month": D("10708.6568"), "reinforcement_hour": D("67.7486")}
# May 2024, after the first anniversary: each line at YEAR_1's price, amount = cents(quantity x price).
MAY_2024 = (
    ("positions", "Customer care: 15 positions", D(15), "position-month", YEAR_1["position_month"]),  # 153624.76
    ("positions", "Help desk: 15 positions", D(15), "position-month", YEAR_1["position_month"]),  # 153624.76
    ("reinforcement", "Reinforcement shift 1", D(8), "agent-hour", YEAR_1["reinforcement_hour"]),  # 518.35
    ("oncall", "On-call shift 1", D(5), "specialist-hour", YEAR_1["oncall_hour"]),  # 1254.08
    ("ticket_time", "Ticket 2024000001: 12 min logged", D(12), "minute", YEAR_1["ticket_minute"]),  # 13.17
    ("sla_credit", "SLA service credits", D(1), "credit", D("-3645.00")),
)
# Total 305390.12; ISS 5 % on top 15269.51, gross 320659.63; IRRF 1.5 % = 4809.89445 -> 4809.89, CSRF 4.65 % =
# 14910.672795 -> 14910.67.
WITHHELD = {"IRRF": "4809.89", "CSRF": "14910.67"}


async def _contract(db: Any) -> None:
    """The dated contract with both readjustments applied, and May 2024 measured and approved."""
    await load_reference(db, text=dated_contract())
    async with db.begin() as session:
        text = SERIES_FILE.read_text(encoding="utf-8")
        await indices.import_series(session, text=text, source="fixture", actor="test")
        for on in (date(2024, 3, 1), date(2025, 3, 1)):
            await indices.apply_readjustment(session, contract_code="reference", on=on, actor="test")
        await measurement(session, month="2024-05", lines=MAY_2024)


def arranged(ops: Ops, tmp_path: Path, *months: tuple[str, Any]) -> None:
    """The same contract, series, readjustments and measurements through the command line and one committed
    session (a CLI test runs outside any event loop)."""
    ops.load(tmp_path, dated_contract())
    assert ops("index", "import", str(SERIES_FILE)).exit_code == 0
    for on in ("2024-03-01", "2025-03-01"):
        assert ops("billing", "readjust", "--contract", "reference", "--on", on, "--apply").exit_code == 0

    async def go() -> None:
        from ops.config import get_settings
        from ops.runtime import open_runtime

        runtime = open_runtime(get_settings(), pool=False)
        try:
            async with runtime.sessionmaker.begin() as session:
                for month, lines in (("2024-05", MAY_2024), *months):
                    await measurement(session, month=month, lines=lines)
        finally:
            await runtime.close()

    asyncio.run(go())


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def brazilian_excel(text: str) -> bytes:
    """A comma file as a Brazilian Excel saves it: ';'-separated, cp1252, numbers written 1.234,56."""
    from babel.numbers import format_decimal

    def cell(value: str) -> str:
        if value.lstrip("-").replace(".", "", 1).isdigit() and "." in value:
            return format_decimal(Decimal(value), locale="pt_BR", decimal_quantization=False)
        return value

    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(
        [cell(c) for c in row] for row in csv.reader(io.StringIO(text))
    )
    return out.getvalue().encode("cp1252")


def _measured(lines: Any = MAY_2024) -> list[list[str]]:
    """The measured lines as the invoice should bill them: the audit's kind, quantity, price, cents(q x p)."""
    return [
        [text, MEASURED_KINDS[kind], str(qty), str(price), str(cents(qty * price))]
        for kind, text, qty, _, price in lines
    ]


def clean_file() -> str:
    return _csv(
        [
            ["Competência 05/2024", "period", "", "", ""],
            *_measured(),
            ["IRRF retido", "withholding:IRRF", "", "", f"-{WITHHELD['IRRF']}"],
            ["PIS/COFINS/CSLL retidos", "withholding:CSRF", "", "", f"-{WITHHELD['CSRF']}"],
            ["Valor total", "total", "", "", "305390.12"],
        ]
    )


def planted_file() -> str:
    care, helpdesk, reinforcement, oncall, ticket, sla = _measured()
    return _csv(
        [
            ["Competência 05/2024", "period", "", "", ""],  # row 2
            [care[0], care[1], "15", "10708.6568", "160629.85"],  # row 3: next year's price, 15 x 10708.6568
            helpdesk,  # row 4
            [reinforcement[0], "", "8", "70,00", "560,00"],  # row 5: a price no one agreed, Brazilian decimals
            [oncall[0], oncall[1], "7", oncall[3], "1755.71"],  # row 6: 7 hours, 5 measured: 7 x 250.8159
            ticket,  # row 7
            ticket,  # row 8: billed again
            ["Taxa de implantação", "", "1", "12.000,00", "12.000,00"],  # row 9: no such item in the contract
            sla,  # row 10
            ["IRRF retido", "withholding:IRRF", "", "", f"-{WITHHELD['IRRF']}"],  # row 11; CSRF left out
            ["Valor total", "total", "", "", "325951.66"],  # row 12
        ]
    )


# Every planted difference, in the audit's order (line by line, then quantities, withholdings, totals):
PLANTED = [
    # row 3: 10708.6568 is the price of the anniversary 2025-03-01, a year early: (10708.6568 - 10241.6504) x 15
    # = 467.0064 x 15 = 7005.096 -> 7005.10
    ("readjustment_early", 3, D("10708.6568"), D("10241.6504"), D("7005.10")),
    # row 5: (70.00 - 64.7941) x 8 = 5.2059 x 8 = 41.6472 -> 41.65
    ("price_not_contracted", 5, D("70.00"), D("64.7941"), D("41.65")),
    # row 8: row 7 again, its whole 12 x 1.0973 = 13.1676 -> 13.17
    ("duplicate_line", 8, D("13.17"), None, D("13.17")),
    # row 9: the contract has no set-up fee: its whole 12000.00
    ("line_not_in_contract", 9, D("12000.00"), None, D("12000.00")),
    # row 6: 7 hours billed, 5 measured: (7 - 5) x 250.8159 = 501.6318 -> 501.63
    ("quantity_above_measured", 6, D(7), D(5), D("501.63")),
    # CSRF (PIS/COFINS/CSLL) 4.65 % of the gross 320659.63 = 14910.67, not withheld: the client pays it to the provider
    ("withholding_missing", None, None, D("14910.67"), D("14910.67")),
    # the lines add up to 160629.85 + 153624.76 + 560.00 + 1755.71 + 13.17 + 13.17 + 12000.00 - 3645.00 = 324951.66;
    # stated 325951.66: 1000.00 more
    ("total_does_not_add_up", 12, D("325951.66"), D("324951.66"), D("1000.00")),
]
# 7005.10 + 41.65 + 13.17 + 12000.00 + 501.63 + 14910.67 + 1000.00
OVERCHARGED = D("35472.22")


def _found(view: dict[str, Any]) -> list[tuple[str, int | None, Decimal | None, Decimal | None, Decimal]]:
    def dec(text: str | None) -> Decimal | None:
        return None if text is None else D(text)

    return [(d["code"], d["row"], dec(d["billed"]), dec(d["expected"]), D(d["amount"])) for d in view["differences"]]


def test_every_planted_difference_with_its_amount_and_a_clean_file_with_none(ops: Ops, tmp_path: Path) -> None:
    arranged(ops, tmp_path)
    planted = tmp_path / "planted.csv"
    planted.write_text(planted_file(), encoding="utf-8")
    result = ops("invoice", "audit", "--contract", "reference", str(planted), "--json")
    assert result.exit_code == 0, result.output + result.stderr
    view = json.loads(result.stdout)
    assert (view["period"], view["measurement_version"], view["currency"]) == ("2024-05", 1, "BRL")
    assert _found(view) == PLANTED
    assert D(view["overcharged"]) == OVERCHARGED and D(view["undercharged"]) == 0
    assert "readjusted early" in view["differences"][0]["description"]
    text = ops("invoice", "audit", "--contract", "reference", str(planted))
    assert text.exit_code == 0
    assert text.stdout.splitlines()[0] == "reference 2024-05 (measurement version 1): 7 differences"
    assert text.stdout.splitlines()[-1] == "overcharged 35472.22 BRL (undercharged 0.00, net 35472.22)"

    clean = tmp_path / "clean.csv"
    clean.write_text(clean_file(), encoding="utf-8")
    result = ops("invoice", "audit", "--contract", "reference", str(clean), "--json")
    assert result.exit_code == 0, result.output + result.stderr
    assert json.loads(result.stdout)["differences"] == []
    assert ops("invoice", "audit", "--contract", "reference", str(clean)).stdout.startswith(
        "reference 2024-05 (measurement version 1): no differences"
    )


def test_the_same_clean_invoice_as_a_spreadsheet(ops: Ops, tmp_path: Path) -> None:
    from openpyxl import Workbook

    arranged(ops, tmp_path)
    book = Workbook()
    sheet = book.active
    for i, row in enumerate(csv.reader(io.StringIO(clean_file()))):
        # Numbers as a spreadsheet stores them (floats), the period as text
        sheet.append([float(cell) if i and j >= 2 and cell else cell for j, cell in enumerate(row)])
    path = tmp_path / "invoice.xlsx"
    book.save(path)
    result = ops("invoice", "audit", "--contract", "reference", str(path), "--json")
    assert result.exit_code == 0, result.output + result.stderr
    assert json.loads(result.stdout)["differences"] == []


def test_an_old_price_and_one_readjusted_by_another_index_are_named(ops: Ops, tmp_path: Path) -> None:
    may_2025 = (
        ("positions", "Customer care: 15 positions", D(15), "position-month", YEAR_2["position_month"]),  # 160629.85
        ("reinforcement", "Reinforcement shift 1", D(8), "agent-hour", YEAR_2["reinforcement_hour"]),  # 541.99
    )
    arranged(ops, tmp_path, ("2025-05", may_2025))
    # Total 161171.84; gross with ISS 169230.43; IRRF 2538.46, CSRF 7869.21 (withheld right: not under test here).
    path = tmp_path / "may-2025.csv"
    path.write_text(
        _csv(
            [
                ["Competência 05/2025", "period", "", "", ""],
                ["Customer care: 15 positions", "", "15", "10932.8693", "163993.04"],
                ["Reinforcement shift 1", "", "8", "64.7941", "518.35"],
                ["IRRF", "withholding:IRRF", "", "", "2538.46"],
                ["CSRF", "withholding:CSRF", "", "", "7869.21"],
            ]
        ),
        encoding="utf-8",
    )
    result = ops("invoice", "audit", "--contract", "reference", str(path), "--json")
    assert result.exit_code == 0, result.output + result.stderr
    view = json.loads(result.stdout)
    assert _found(view) == [
        # IGP-M over IPCA's months 2024-02..2025-01: -0.52 -0.47 0.31 0.89 0.81 0.61 0.29 0.62 1.52 1.30 0.94 0.27,
        # product 1.0674909723... -> 1.06749097; 9800 x 1.04506637 x 1.06749097 = 10932.86934... -> 10932.8693.
        # (10932.8693 - 10708.6568) x 15 = 224.2125 x 15 = 3363.1875 -> 3363.19
        ("readjustment_wrong_index", 3, D("10932.8693"), D("10708.6568"), D("3363.19")),
        # last year's price after the anniversary: (64.7941 - 67.7486) x 8 = -2.9545 x 8 = -23.636 -> -23.64
        ("readjustment_late", 4, D("64.7941"), D("67.7486"), D("-23.64")),
    ]
    assert "readjusted by IGP-M instead of IPCA" in view["differences"][0]["description"]
    assert (view["overcharged"], view["undercharged"], view["net"]) == ("3363.19", "-23.64", "3339.55")
    # No INPC series stored: that candidate is left out; the next anniversary (2026-03-01) is after the contract ends.
    assert view["price_candidates"]["position_month"] == {
        "before readjustment": "10241.6504",
        "readjusted by IGP-M instead of IPCA": "10932.8693",
    }


def test_a_semicolon_file_and_a_month_without_measurement_are_clear_errors(ops: Ops, tmp_path: Path) -> None:
    arranged(ops, tmp_path)
    excel = tmp_path / "excel.csv"
    excel.write_bytes(brazilian_excel(clean_file()))
    assert b";305.390,12\r\n" in excel.read_bytes() and "Competência".encode("cp1252") in excel.read_bytes()
    result = ops("invoice", "audit", "--contract", "reference", "--json", str(excel))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["differences"] == []
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    result = ops("invoice", "audit", "--contract", "reference", str(broken))
    assert result.exit_code == 2 and f"error: {broken}: not a readable XLSX workbook" in result.stderr
    july = tmp_path / "july.csv"
    july.write_text(clean_file().replace("05/2024", "07/2024"), encoding="utf-8")
    result = ops("invoice", "audit", "--contract", "reference", str(july))
    assert result.exit_code == 2
    assert "no measurement of reference for 2024-07" in result.stderr
    bad_cell = tmp_path / "bad.csv"
    bad_cell.write_text(
        clean_file().replace("\nCustomer care: 15 positions,position_month,15,", "\nX,,dez,"), encoding="utf-8"
    )
    result = ops("invoice", "audit", "--contract", "reference", str(bad_cell))
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        f"error: {bad_cell}: row 3, column quantity: 'dez' is not a number as pt-BR writes it",
    )
    two_bad = tmp_path / "two_bad.csv"  # row 3 has two bad numbers, row 5 a bad amount: all three are named
    lines = clean_file().splitlines()
    lines[2] = "X,,dez,1.2.3,"
    lines[4] = lines[4].rsplit(",", 1)[0] + ",muito"
    two_bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ops("invoice", "audit", "--contract", "reference", str(two_bad))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {two_bad}: row 3, column quantity: 'dez' is not a number as pt-BR writes it; "
        "row 3, column unit_price: '1.2.3' is not a number as pt-BR writes it; row 3, column amount: empty; "
        "row 5, column amount: 'muito' is not a number as pt-BR writes it"
    )


def test_read_rows_keeps_row_numbers_and_refuses_a_header_without_amounts() -> None:
    rows = read_rows(b"description,quantity,unit_price,amount\nCompetencia 05/2024,,,\n\nTotal,,,1\n", "x.csv")
    assert [(row.line, row.values.get("description")) for row in rows] == [(2, "Competencia 05/2024"), (4, "Total")]
    with pytest.raises(InvalidInputError, match=r"x\.csv: header 'description,qty' lacks quantity, unit_price, amount"):
        read_rows(b"description,qty\n", "x.csv")


async def test_the_api_audits_an_upload_or_a_raw_body_for_the_contract_s_own_readers(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await _contract(db)
    await load_reference(db, code="other")
    mine, theirs = bearer(await token(db, "client", "reference")), bearer(await token(db, "client", "other"))
    supervisor = bearer(await token(db, "supervisor", "reference"))
    url = "/api/contracts/reference/invoices/audit"
    upload = await client.post(url, files={"file": ("planted.csv", planted_file().encode())}, headers=mine)
    assert upload.status_code == 200, upload.text
    assert _found(upload.json()) == PLANTED
    raw = await client.post(url, content=clean_file().encode(), headers={**supervisor, "content-type": "text/csv"})
    assert (raw.status_code, raw.json()["differences"]) == (200, [])
    excel = await client.post(url, files={"file": ("excel.csv", brazilian_excel(clean_file()))}, headers=supervisor)
    assert (excel.status_code, excel.json()["differences"]) == (200, []), excel.text
    lines = clean_file().splitlines()
    lines[2], lines[4] = "X,,dez,1,1", lines[4].rsplit(",", 1)[0] + ",muito"
    two_bad = await client.post(url, content="\n".join(lines).encode(), headers=supervisor)
    assert two_bad.status_code == 422
    assert [e["problem"] for e in two_bad.json()["errors"]] == [
        "row 3, column quantity: 'dez' is not a number as pt-BR writes it",
        "row 5, column amount: 'muito' is not a number as pt-BR writes it",
    ]
    assert (await client.post(url, content=planted_file().encode(), headers=theirs)).status_code == 404
    # A month measured only in draft is the provider's: to the client it is not measured yet.
    async with db.begin() as session:
        await measurement(session, month="2024-07", lines=MAY_2024, state="draft")
    july = clean_file().replace("05/2024", "07/2024").encode()
    hidden = await client.post(url, content=july, headers=mine)
    assert hidden.status_code == 404 and "no measurement of reference for 2024-07" in hidden.json()["detail"]
    drafted = await client.post(url, content=july, headers=supervisor)
    assert drafted.status_code == 409 and "is draft" in drafted.json()["detail"]
    no_file = await client.post(url, files={"other": ("x.csv", b"x")}, headers=mine)
    assert (no_file.status_code, no_file.json()["errors"][0]["field"]) == (422, "file")
