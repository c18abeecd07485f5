"""A contract's yearly readjustment on the real IPCA series: previewed and applied through `ops billing readjust`,
applied once only, compounded from the contract's base price in the second year, refused with the missing month
named; the API's preview, apply and notice, the client seeing its own contract only; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.billing.indices import services
from ops.billing.indices.models import ContractPrice, Readjustment
from ops.billing.indices.prices import price_history
from ops.contracts.document import from_document, parse_contract
from ops.contracts.services import get_contract, load_contract
from tests.helpers import bearer, token
from tests.integration.billing.indices.conftest import SERIES_FILE, Ops, dated_contract

D = Decimal
# By hand, from the fixture's IPCA (IBGE, % in the month), with IPCA's default lag of 2 months:
# 2024-03-01 reads 2023-02..2024-01: 0.84 0.71 0.61 0.23 -0.08 0.12 0.23 0.26 0.24 0.28 0.56 0.42,
#   product 1.0450663743069... -> factor 1.04506637 (IBGE's 12 months to January 2024: 4.51 %).
# 2025-03-01 reads 2024-02..2025-01: 0.83 0.16 0.38 0.46 0.21 0.38 -0.02 0.44 0.56 0.39 0.52 0.16,
#   product 1.0455987439267... -> factor 1.04559874 (IBGE: 4.56 %).
F1, F2 = D("1.04506637"), D("1.04559874")
YEAR_1 = {  # base x F1, rounded once to 4 decimals
    "position_month": D("10241.6504"),  # 9800 x F1 = 10241.650426
    "reinforcement_hour": D("64.7941"),  # 62 x F1 = 64.79411494
    "ticket_minute": D("1.0973"),  # 1.05 x F1 = 1.0973196885
    "oncall_hour": D("250.8159"),  # 240 x F1 = 250.8159288
}
YEAR_2 = {  # base x F1 x F2, rounded once
    "position_month": D("10708.6568"),  # 9800 x F1 x F2 = 10708.656780946
    "reinforcement_hour": D("67.7486"),  # 62 x F1 x F2 = 67.748644941
    "ticket_minute": D("1.1474"),  # 1.05 x F1 x F2 = 1.147356084; the rounded 1.0973 x F2 would give 1.1473
    "oncall_hour": D("262.2528"),  # 240 x F1 x F2 = 262.252819125
}


def _prices(lines: list[str]) -> dict[str, tuple[D, D]]:
    found = {}
    for line in lines:
        match = re.match(r"^\s+(\w+)\s+([\d.]+) ->\s+([\d.]+)\s+\(base", line)
        if match:
            found[match.group(1)] = (D(match.group(2)), D(match.group(3)))
    return found


async def _rows(session: AsyncSession) -> tuple[int, int]:
    readjustments = await session.scalar(select(func.count()).select_from(Readjustment))
    prices = await session.scalar(select(func.count()).select_from(ContractPrice))
    return int(readjustments or 0), int(prices or 0)


def test_readjust_previews_applies_once_and_compounds_from_the_base(ops: Ops, tmp_path: Path) -> None:
    ops.load(tmp_path, dated_contract())
    assert ops("index", "import", str(SERIES_FILE)).exit_code == 0

    preview = ops("billing", "readjust", "--contract", "reference", "--on", "2024-03-01")
    assert preview.exit_code == 0, preview.output
    lines = preview.stdout.splitlines()
    assert lines[0] == "reference: readjustment on 2024-03-01 (preview: --apply writes it)"
    assert lines[1] == "  index     IPCA, 12 months 2023-02..2024-01"
    assert lines[2] == "  factor    1.04506637 (+4.5066 %)"
    assert _prices(lines) == {item: (base, YEAR_1[item]) for item, base in (
        ("position_month", D("9800")), ("reinforcement_hour", D("62")), ("ticket_minute", D("1.05")),
        ("oncall_hour", D("240")),
    )}  # fmt: skip
    assert ops.query(_rows) == (0, 0)  # a preview writes nothing

    # The second year cannot come first: prices compound year on year.
    early = ops("billing", "readjust", "--contract", "reference", "--on", "2025-03-01", "--apply")
    assert early.exit_code == 2
    assert early.stderr.startswith("error: contract 'reference': the readjustment of 2024-03-01 is not applied")
    assert ops.query(_rows) == (0, 0)

    applied = ops("billing", "readjust", "--contract", "reference", "--on", "2024-03-01", "--apply", "--by", "ana")
    assert applied.exit_code == 0, applied.output
    assert re.match(r"reference: readjustment on 2024-03-01 \(applied on \S+ by ana\)$", applied.stdout.splitlines()[0])
    assert ops.query(_rows) == (1, 4)
    again = ops("billing", "readjust", "--contract", "reference", "--on", "2024-03-01", "--apply")
    assert "already applied on" in again.stdout.splitlines()[0] and "by ana: nothing changed" in again.stdout
    assert ops.query(_rows) == (1, 4)

    second = ops("billing", "readjust", "--contract", "reference", "--on", "2025-03-01", "--apply", "--json")
    assert second.exit_code == 0, second.output
    data = json.loads(second.stdout)
    assert (data["status"], data["index"], data["factor"], data["months"][0], data["months"][-1]) == (
        "applied",
        "IPCA",
        str(F2),
        "2024-02",
        "2025-01",
    )
    assert data["earlier"] == [{"anniversary": "2024-03-01", "index": "IPCA", "factor": str(F1)}]
    assert data["cumulative_factor"] == "1.09272008"
    assert {p["item"]: (D(p["current"]), D(p["new"])) for p in data["prices"]} == {
        item: (YEAR_1[item], YEAR_2[item]) for item in YEAR_2
    }

    async def history(session: AsyncSession) -> dict[str, list[tuple[date, D]]]:
        contract = await get_contract(session, code="reference", principal=None)
        document = from_document(contract.document)
        return {item: await price_history(session, contract=contract, document=document, item=item) for item in YEAR_2}

    assert ops.query(history)["ticket_minute"] == [
        (date(2023, 3, 1), D("1.05")),
        (date(2024, 3, 1), D("1.0973")),
        (date(2025, 3, 1), D("1.1474")),
    ]
    assert ops.query(history)["position_month"][1:] == [
        (date(2024, 3, 1), YEAR_1["position_month"]),
        (date(2025, 3, 1), YEAR_2["position_month"]),
    ]


def test_readjust_refuses_what_it_cannot_compute(ops: Ops, tmp_path: Path) -> None:
    ops.load(tmp_path, dated_contract())
    assert ops("index", "import", str(SERIES_FILE)).exit_code == 0
    for on, problem in (
        ("2024-03-02", "error: on: 2024-03-02 is not an anniversary of contract 'reference': expected 2024-03-01"),
        ("2023-03-01", "expected 2024-03-01 (its first readjustment)"),
        ("2024-3-1", "error: --on: '2024-3-1' is not a date YYYY-MM-DD"),
        ("2027-03-01", "error: on: 2027-03-01 is after the contract's end 2026-02-28"),
    ):
        result = ops("billing", "readjust", "--contract", "reference", "--on", on)
        assert result.exit_code == 2, (on, result.output)
        assert problem in result.stderr, (on, result.stderr)
    unknown = ops("billing", "readjust", "--contract", "nobody", "--on", "2024-03-01")
    assert unknown.stderr == "error: no contract 'nobody'\n"

    # The reference contract as written (anniversary 2027-02-01) needs IPCA 2026-01..2026-12; the fixture ends in
    # 2026-05, and INPC, its fallback, is not there at all: both gaps are named, never a factor of 1.
    ops.load(tmp_path, dated_contract(anniversary="2027-02-01", code="later"), name="later.yaml")
    missing = ops("billing", "readjust", "--contract", "later", "--on", "2027-02-01", "--apply")
    assert missing.exit_code == 2
    assert missing.stderr.startswith(
        "error: contract 'later', readjustment on 2027-02-01: IPCA: no published value for 2026-06, 2026-07, "
        "2026-08, 2026-09, 2026-10, 2026-11, 2026-12; fallback INPC: no published value for 2026-01, "
    ), missing.stderr
    assert ops.query(_rows) == (0, 0)


def test_a_negative_year_is_floored(ops: Ops, tmp_path: Path) -> None:
    # IGP-M from 2022-11 to 2023-10 fell 4.56 %: with floor_zero the prices stay as they are.
    ops.load(tmp_path, dated_contract(anniversary="2023-11-01", index="IGP-M"))
    assert ops("index", "import", str(SERIES_FILE)).exit_code == 0
    floored = ops("billing", "readjust", "--contract", "reference", "--on", "2023-11-01", "--json")
    data = json.loads(floored.stdout)
    assert (data["index"], data["months"][0], data["months"][-1]) == ("IGP-M", "2022-11", "2023-10")  # lag 1
    assert (data["factor"], data["raw_factor"], data["floored"]) == ("1", "0.95439263", True)
    assert data["notes"] == ["factor 0.95439263 below 1 floored to 1 (floor_zero)"]
    assert {p["item"]: p["new"] for p in data["prices"]}["ticket_minute"] == "1.0500"
    text = ops("billing", "readjust", "--contract", "reference", "--on", "2023-11-01").stdout
    assert "  factor    1 (+0.0000 %), raw 0.95439263 floored" in text


def test_a_gap_in_the_index_takes_the_fallback(ops: Ops, tmp_path: Path) -> None:
    # IPCA 2023-07 not published (an empty cell); INPC, the contract's fallback, entered by hand at 0.5 % a month:
    # INPC's whole window replaces IPCA's, and the answer says so. 1.005^12 = 1.0616778118... -> 1.06167781.
    ops.load(tmp_path, dated_contract())
    gap = tmp_path / "gap.csv"
    gap.write_text(SERIES_FILE.read_text(encoding="utf-8").replace("2023-07,0.12,", "2023-07,,"), encoding="utf-8")
    assert ops("index", "import", str(gap)).exit_code == 0
    for month in [f"2023-{m:02d}" for m in range(2, 13)] + ["2024-01"]:
        assert ops("index", "set", "--index", "INPC", "--month", month, "--pct", "0.5").exit_code == 0
    data = json.loads(ops("billing", "readjust", "--contract", "reference", "--on", "2024-03-01", "--json").stdout)
    assert (data["rule_index"], data["index"], data["fallback_used"], data["factor"]) == (
        "IPCA",
        "INPC",
        True,
        "1.06167781",
    )
    assert data["notes"] == ["fallback INPC (2023-02..2024-01) used because IPCA: no published value for 2023-07"]
    assert {p["item"]: p["new"] for p in data["prices"]}["ticket_minute"] == "1.1148"  # 1.05 x 1.06167781
    text = ops("billing", "readjust", "--contract", "reference", "--on", "2024-03-01").stdout
    assert "  index     INPC (the contract's IPCA), 12 months 2023-02..2024-01" in text
    assert "  fallback  INPC replaced IPCA" in text


async def test_the_api_previews_applies_and_serves_the_notice(client: AsyncTestClient[Litestar], db: Any) -> None:
    async with db.begin() as session:
        for code in ("reference", "other"):
            await load_contract(
                session, contract=parse_contract(dated_contract(code=code), "test"), source="test", actor="test"
            )
        await services.import_series(
            session, text=SERIES_FILE.read_text(encoding="utf-8"), source="fixture", actor="test"
        )
    manager = bearer(await token(db, "manager"))
    client_token = bearer(await token(db, "client", contract="reference"))
    other_client = bearer(await token(db, "client", contract="other"))
    scoped_manager = bearer(await token(db, "manager", contract="reference"))

    seen = await client.get("/api/contracts/reference/readjustments/2024-03-01", headers=client_token)
    assert seen.status_code == 200, seen.text
    assert (seen.json()["status"], seen.json()["factor"], seen.json()["client"]) == (
        "preview",
        "1.04506637",
        "CaboNet Telecomunicações S.A.",
    )
    first = "/api/contracts/reference/readjustments/2024-03-01"
    assert (await client.get(first, headers=other_client)).status_code == 404
    assert (await client.get("/api/contracts/other/readjustments/2024-03-01", headers=other_client)).status_code == 200
    bad = await client.get("/api/contracts/reference/readjustments/2024-02-30", headers=manager)
    assert (bad.status_code, bad.json()["errors"]) == (422, [{"field": "on", "problem": "not a date"}])
    wrong = await client.get("/api/contracts/reference/readjustments/2024-04-01", headers=manager)
    assert wrong.status_code == 422 and "expected 2024-03-01" in wrong.json()["detail"]

    assert (await client.post(first, headers=scoped_manager)).status_code == 403
    applied = await client.post(first, headers=manager)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["status"], applied.json()["already_applied"], applied.json()["applied_by"]) == (
        "applied",
        False,
        "token:t",
    )
    assert {p["item"]: D(p["new"]) for p in applied.json()["prices"]} == YEAR_1
    twice = await client.post(first, headers=manager)
    assert (twice.status_code, twice.json()["already_applied"]) == (200, True)
    async with db() as session:
        assert await _rows(session) == (1, 4)
    shown = (await client.get("/api/contracts/reference/readjustments/2024-03-01", headers=client_token)).json()
    assert (shown["status"], shown["applied_at"] is not None) == ("applied", True)

    # A revised IPCA month after the fact: the applied readjustment stands, and says the series moved.
    revision = {"pct": "-0.10", "source": "IBGE revision"}
    put = await client.put("/api/indices/IPCA/2023-06", json=revision, headers=manager)
    assert (put.status_code, put.json()["status"], put.json()["old_pct"]) == (200, "revised", "-0.0800")
    moved = (await client.get("/api/contracts/reference/readjustments/2024-03-01", headers=manager)).json()
    assert moved["factor"] == "1.04506637"
    assert moved["notes"] == ["the series were revised after this was applied: they now give 1.04485719 "
                              "(the applied factor 1.04506637 stands)"]  # fmt: skip

    pdf = await client.get("/api/contracts/reference/readjustments/2024-03-01/notice.pdf", headers=client_token)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert b"reference 2024-03-01 IPCA factor 1.04506637" in _inflated(pdf.content)
    english = await client.get(
        "/api/contracts/reference/readjustments/2024-03-01/notice.pdf?lang=en", headers=client_token
    )
    assert 'filename="readjustment-reference-2024-03-01.pdf"' in english.headers["content-disposition"]
    hidden = await client.get("/api/contracts/reference/readjustments/2024-03-01/notice.pdf", headers=other_client)
    assert hidden.status_code == 404
    unknown_lang = await client.get(
        "/api/contracts/reference/readjustments/2024-03-01/notice.pdf?lang=fr", headers=client_token
    )
    assert (unknown_lang.status_code, unknown_lang.json()["errors"][0]["field"]) == (422, "lang")


def test_the_cli_writes_the_notice(ops: Ops, tmp_path: Path) -> None:
    ops.load(tmp_path, dated_contract())
    assert ops("index", "import", str(SERIES_FILE)).exit_code == 0
    pdf, html = tmp_path / "aviso.pdf", tmp_path / "notice.html"
    result = ops("billing", "readjust", "--contract", "reference", "--on", "2024-03-01", "--notice", str(pdf))
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert b"factor 1.04506637" in _inflated(pdf.read_bytes())
    ops("billing", "readjust", "--contract", "reference", "--on", "2024-03-01", "--notice", str(html))
    page = html.read_text(encoding="utf-8")
    for text in ("Aviso de reajuste contratual", "Minuta", "1,04506637", "R$\xa09.800,00", "R$\xa010.241,6504",
                 "fevereiro de 2023", "janeiro de 2024", "Lei nº 10.192/2001"):  # fmt: skip
        assert text in page, text
    nowhere = tmp_path / "missing-folder" / "aviso.pdf"
    refused = ops(
        "billing", "readjust", "--contract", "reference", "--on", "2024-03-01", "--apply", "--notice", str(nowhere)
    )
    assert refused.exit_code == 2
    assert "missing-folder' does not exist: write into a folder that exists" in refused.stderr
    assert ops.query(_rows) == (0, 0)  # a notice that could not be written applied nothing


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams opened, where the document's metadata (its subject) sits."""
    parts = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)
