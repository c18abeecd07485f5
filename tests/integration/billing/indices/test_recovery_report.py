"""The recovery of undue charges for a contract, on the real IPCA series imported through the series store: lines
inside and outside the window, one under deflation (factor floored at 1), the judicial route reaching further; as
text, JSON, HTML and PDF through `ops billing recovery`, and through the API for the contract's manager and client;
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.billing.indices import services
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, token
from tests.integration.billing.indices.conftest import SERIES_FILE, Ops

D = Decimal
ON = "2022-10-20"  # the IPCA of September 2022 is the last one published before October
# The reference contract's terms: IPCA, 1 % a month simple interest, 3 years administratively, 5 judicially, doubled.
LINES = """description,paid_on,amount,doubled
Setup fee never contracted,2022-04-10,150.00,
Reinforcement line billed twice,05/07/2022,"1.234,56",sim
Ticket minutes above the minimum,2019-06-30,80.00,não
"""
# Setup fee: doubled 300.00; IPCA April..September 2022 (1.06 0.47 0.67 -0.68 -0.36 -0.29) -> 1.00861381;
#   300.00 x 1.00861381 = 302.584143 -> 302.58; 10 April to 20 October is 6 whole months: 302.58 x 1 % x 6 = 18.1548
#   -> 18.15; recoverable 320.73.
# Reinforcement: doubled 2 x 1234.56 = 2469.12; IPCA July..September 2022: 0.9932 x 0.9964 x 0.9971 = 0.98675...,
#   a deflation: floored at 1, corrected 2469.12; 5 July to 20 October is 3 months: 2469.12 x 3 % = 74.0736 -> 74.07;
#   recoverable 2543.19.
# Ticket minutes: paid 30 June 2019, before 20 October 2019 (three years back): outside, nothing recoverable.
EXPECTED = [
    # (paid_on, doubled_amount, factor, floored, corrected, interest months, interest, recoverable, within)
    ("2022-04-10", "300.00", "1.00861381", False, "302.58", 6, "18.15", "320.73", True),
    ("2022-07-05", "2469.12", "1", True, "2469.12", 3, "74.07", "2543.19", True),
    ("2019-06-30", "80.00", "1", False, "0.00", 0, "0.00", "0.00", False),
]


def _rows(view: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            x["paid_on"],
            x["doubled_amount"],
            x["correction_factor"],
            x["floored"],
            x["corrected"],
            x["interest_months"],
            x["interest"],
            x["recoverable"],
            x["within_window"],
        )
        for x in view["lines"]
    ]


def test_recovery_inside_outside_the_window_and_under_deflation(ops: Ops, tmp_path: Path) -> None:
    ops.load(tmp_path, REFERENCE_CONTRACT.read_text(encoding="utf-8"))
    lines = tmp_path / "overpaid.csv"
    lines.write_text(LINES, encoding="utf-8")
    before = ops("billing", "recovery", "--contract", "reference", str(lines), "--on", ON)
    assert (before.exit_code, before.stderr.strip()) == (
        2,
        "error: index: no IPCA month stored: import the series (ops index import FILE)",
    )
    assert ops("index", "import", str(SERIES_FILE)).exit_code == 0

    result = ops("billing", "recovery", "--contract", "reference", str(lines), "--on", ON, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    view = json.loads(result.stdout)
    assert (view["route"], view["index"], view["window_years"], view["window_start"]) == (
        "administrative",
        "IPCA",
        3,
        "2019-10-20",
    )
    assert _rows(view) == EXPECTED
    assert view["lines"][0]["months"] == {"first": "2022-04", "last": "2022-09", "count": 6}
    assert view["lines"][1]["doubled"] is True and view["lines"][2]["doubled"] is False
    # 320.73 + 2543.19; corrected 302.58 + 2469.12, interest 18.15 + 74.07
    assert view["inside"] == {
        "lines": 2,
        "nominal": "1384.56",
        "doubled_amount": "2769.12",
        "corrected": "2771.70",
        "interest": "92.22",
        "recoverable": "2863.92",
    }
    assert (view["outside"]["lines"], view["outside"]["nominal"], view["outside"]["recoverable"]) == (
        1,
        "80.00",
        "0.00",
    )

    text = ops("billing", "recovery", "--contract", "reference", str(lines), "--on", ON)
    assert text.exit_code == 0
    assert "outside the window, not recoverable  Ticket minutes above the minimum" in text.stdout
    assert text.stdout.splitlines()[-1].startswith("recoverable 2863.92 BRL (2 lines")

    # Judicially (five years: from 20 October 2017) the 2019 line is inside: not doubled (the file says no), IPCA
    # June 2019..September 2022 (40 months) -> 1.22182816; 80.00 x 1.22182816 = 97.7462528 -> 97.75; 30 June 2019
    # to 20 October 2022 is 39 whole months: 97.75 x 39 % = 38.1225 -> 38.12; recoverable 135.87.
    judicial = ops(
        "billing", "recovery", "--contract", "reference", str(lines), "--on", ON, "--route", "judicial", "--json"
    )
    view = json.loads(judicial.stdout)
    assert _rows(view)[2] == ("2019-06-30", "80.00", "1.22182816", False, "97.75", 39, "38.12", "135.87", True)
    assert view["lines"][2]["months"] == {"first": "2019-06", "last": "2022-09", "count": 40}
    assert (view["inside"]["recoverable"], view["outside"]["lines"]) == ("2999.79", 0)  # 2863.92 + 135.87

    html = tmp_path / "recovery.html"
    made = ops(
        "billing", "recovery", "--contract", "reference", str(lines), "--on", ON, "--format", "html", "--out", str(html)
    )
    assert made.exit_code == 0, made.output + made.stderr
    page = html.read_text(encoding="utf-8")
    for words in (
        "Restituição de cobranças indevidas",
        "Deflação: fator mantido em 1",
        "Fora do prazo: não recuperável",
        "R$\xa02.863,92",  # Babel's money: a no-break space
        "1,00 % ao mês, simples, por mês completo",
    ):
        assert words in page, words
    pdf = tmp_path / "recovery.pdf"
    made = ops(
        "billing", "recovery", "--contract", "reference", str(lines), "--on", ON, "--format", "pdf", "--out", str(pdf)
    )
    assert made.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")


def test_a_brazilian_excel_file_projects_as_the_comma_file(ops: Ops, tmp_path: Path) -> None:
    ops.load(tmp_path, REFERENCE_CONTRACT.read_text(encoding="utf-8"))
    assert ops("index", "import", str(SERIES_FILE)).exit_code == 0
    excel = tmp_path / "excel.csv"  # ';'-separated, cp1252, amounts 1.234,56 unquoted: as Excel saves it in Brazil
    excel.write_bytes(
        (
            "description;paid_on;amount;doubled\r\n"
            "Setup fee never contracted;2022-04-10;150,00;\r\n"
            "Reinforcement line billed twice;05/07/2022;1.234,56;sim\r\n"
            "Ticket minutes above the minimum;2019-06-30;80,00;não\r\n"
        ).encode("cp1252")
    )
    result = ops("billing", "recovery", "--contract", "reference", str(excel), "--on", ON, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    assert _rows(json.loads(result.stdout)) == EXPECTED


def test_bad_recovery_files_are_named(ops: Ops, tmp_path: Path) -> None:
    ops.load(tmp_path, REFERENCE_CONTRACT.read_text(encoding="utf-8"))
    cases = {
        "two_bad.csv": (
            "description;paid_on;amount\nok;2022-01-01;1.234,56\n;2022-13-01;-5\nx;01/02/2022;muito\n",
            "line 3, description: empty; line 3, paid_on: '2022-13-01' is not a date YYYY-MM-DD or DD/MM/YYYY; "
            "line 3, amount: '-5' must be above zero; line 4, amount: 'muito' is not a number as pt-BR writes it",
        ),
        "date.csv": ("description,paid_on,amount\nx,2022-13-01,1.00\n", "line 2, paid_on: '2022-13-01' is not a date"),
        "amount.csv": ("description,paid_on,amount\nx,2022-01-01,-5\n", "line 2, amount: '-5' must be above zero"),
        "doubled.csv": ("description,paid_on,amount,doubled\nx,2022-01-01,5,maybe\n", "line 2, doubled: 'maybe'"),
        "header.csv": ("what,when\nx,2022-01-01\n", "header lacks description, paid_on, amount"),
    }
    for name, (content, problem) in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        result = ops("billing", "recovery", "--contract", "reference", str(path), "--on", ON)
        assert result.exit_code == 2, name
        assert result.stderr.startswith(f"error: {path}: "), result.stderr
        assert problem in result.stderr, (name, result.stderr)


async def test_the_api_projects_for_the_contract_s_manager_and_client(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await load_reference(db)
    await load_reference(db, code="other")
    async with db.begin() as session:
        await services.import_series(
            session, text=SERIES_FILE.read_text(encoding="utf-8"), source="fixture", actor="test"
        )
    mine, theirs = bearer(await token(db, "client", "reference")), bearer(await token(db, "client", "other"))
    supervisor = bearer(await token(db, "supervisor", "reference"))
    body = {
        "on": ON,
        "lines": [
            {"description": "Setup fee never contracted", "paid_on": "2022-04-10", "amount": "150.00"},
            {"description": "Reinforcement line billed twice", "paid_on": "2022-07-05", "amount": "1.234,56"},
            {"description": "Ticket minutes", "paid_on": "2019-06-30", "amount": 80, "doubled": False},
        ],
    }
    url = "/api/contracts/reference/recovery"
    answer = await client.post(url, json=body, headers=mine)
    assert answer.status_code == 200, answer.text
    assert _rows(answer.json()) == EXPECTED
    assert answer.json()["inside"]["recoverable"] == "2863.92"
    spanish = await client.post(url, json=body, params={"format": "html", "lang": "es-AR"}, headers=mine)
    assert spanish.status_code == 200 and "Recuperación de cobros indebidos" in spanish.text
    assert "Deflación: factor mantenido en 1" in spanish.text
    # It stores nothing, so a keyed retry is computed again: the PDF comes back with its file name each time.
    keyed = {**mine, "Idempotency-Key": "recovery-pdf-1"}
    for _ in range(2):
        pdf = await client.post(url, json=body, params={"format": "pdf"}, headers=keyed)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-disposition"] == f'inline; filename="recovery-reference-{ON}.pdf"'
        assert "idempotent-replayed" not in pdf.headers
    assert (await client.post(url, json=body, headers=theirs)).status_code == 404
    assert (await client.post(url, json=body, headers=supervisor)).status_code == 403
    bad = {**body, "lines": [{**body["lines"][0]}, {**body["lines"][1], "amount": "1,2,3"}]}  # type: ignore[dict-item]
    refused = await client.post(url, json=bad, headers=mine)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "lines[1].amount")
    # A whole number is money here, held to the money bound (not to an id's 2**31, as "3000000000" in text is not).
    large = {**body, "lines": [{**body["lines"][0], "amount": 3_000_000_000}]}
    assert (await client.post(url, json=large, headers=mine)).status_code == 200
    huge = {**body, "lines": [{**body["lines"][0], "amount": 10**13}]}
    refused = await client.post(url, json=huge, headers=mine)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "lines[0].amount"), refused.text
    late = {**body, "on": "2022-05-01"}
    refused = await client.post(url, json=late, headers=mine)
    assert refused.status_code == 422 and "was paid on 2022-07-05, after 2022-05-01" in refused.json()["detail"]
    assert D(answer.json()["interest_monthly_pct"]) == 1
