"""Index series in the database: the real IPCA / IGP-M file imported through `ops index import` and the service, a
re-import that changes nothing, a changed value kept as a revision (old and new), refused files that store nothing,
months entered by hand through the CLI and the API; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.billing.indices import services
from ops.billing.indices.models import IndexRevision, IndexValue
from ops.errors import InvalidInputError
from tests.helpers import bearer, token
from tests.integration.billing.indices.conftest import SERIES_FILE, Ops

MONTHS = 137  # 2015-01 to 2026-05, both series complete
D = Decimal


async def _counts(session: AsyncSession) -> tuple[int, int]:
    values = await session.scalar(select(func.count()).select_from(IndexValue))
    revisions = await session.scalar(select(func.count()).select_from(IndexRevision))
    return int(values or 0), int(revisions or 0)


def test_the_cli_imports_the_real_series_once(ops: Ops, tmp_path: Path) -> None:
    first = ops("index", "import", str(SERIES_FILE))
    assert first.exit_code == 0, first.output
    assert first.stdout == f"{SERIES_FILE}: {2 * MONTHS} new, 0 unchanged, 0 revised (IGP-M, IPCA)\n"
    again = ops("index", "import", str(SERIES_FILE))
    assert again.stdout == f"{SERIES_FILE}: 0 new, {2 * MONTHS} unchanged, 0 revised (IGP-M, IPCA)\n"
    assert ops.query(_counts) == (2 * MONTHS, 0)

    # IBGE revises a month: the new value is stored and the old one kept beside it, with the file it came from.
    revised = tmp_path / "ipca_revised.csv"
    revised.write_text(SERIES_FILE.read_text(encoding="utf-8").replace("2024-03,0.16,", "2024-03,0.18,"))
    result = ops("index", "import", str(revised))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{revised}: 0 new, {2 * MONTHS - 1} unchanged, 1 revised (IGP-M, IPCA)",
        "  revised IPCA 2024-03: 0.1600 -> 0.18",
    ]
    assert ops.query(_counts) == (2 * MONTHS, 1)
    shown = ops("index", "show", "--index", "IPCA", "--from", "2024-02")
    lines = shown.stdout.splitlines()
    assert lines[:2] == [
        "2024-02     0.8300  file:br_ipca_igpm_monthly_2015-2026.csv",
        "2024-03     0.1800  file:ipca_revised.csv",
    ]
    assert lines[-1].startswith("revised 2024-03: 0.1600 -> 0.1800 (file:ipca_revised.csv, cli:")
    assert len(lines) == 28 + 1  # 2024-02 .. 2026-05, and the revision


BAD_UTF8 = b"month,ipca_pct_month\n2023-12,0.56\n2024-01,\xe7\n"  # a Latin-1 byte where a number should be


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"month;ipca_pct_month;igpm_pct_month\n2024-01;0,42;0,07\n", "'0,42' has a decimal comma"),
        (b"month,ipca_pct_month\n2023-12,0.56\n2024-01,0.42\n2024-02,0,83\n", "line 4: expected 2 columns, got 3"),
        (b"month,ipca_pct_month\n2023-12,0.56\n2024-13,0.42\n", "line 3, column 'month': '2024-13' is not a month"),
        (b"month,index,pct\n2023-12,IPCA,0.56\n2024-01,IPCA,0.12345\n", "IPCA 2024-01: 0.12345 has more than 4"),
        (BAD_UTF8, "line 3, column 'ipca_pct_month': 'ç' is not a finite number"),  # read as cp1252
        (b"", "empty file (no header line)"),
        (b"month,ipca_pct_month\n", "no published value in the file"),
    ],
)
def test_a_bad_file_is_refused_whole(ops: Ops, tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)  # a good month comes first: a refused file stores nothing, not even that
    result = ops("index", "import", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {path}: "), result.stderr
    assert problem in result.stderr, result.stderr
    assert result.stdout == ""
    assert ops.query(_counts) == (0, 0)


def test_a_brazilian_excel_file_is_stored_and_two_bad_rows_are_listed_with_all_their_errors(
    ops: Ops, tmp_path: Path
) -> None:
    excel = tmp_path / "fgv.csv"  # ';'-separated, cp1252, numbers written 1.234,56: as Excel saves it in Brazil
    excel.write_bytes(
        "month;index;pct;observação\r\n2024-01;IGP-M;1.234,5678;prévia\r\n2024-02;IPCA;0,83;\r\n".encode("cp1252")
    )
    result = ops("index", "import", "--locale", "pt-BR", str(excel))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{excel}: 2 new, 0 unchanged, 0 revised (IGP-M, IPCA)")
    shown = ops("index", "show", "--index", "IGP-M")
    assert "2024-01  1234.5678  file:fgv.csv" in shown.stdout, shown.stdout

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"month;index;pct\n2024-03;IPCA;0,16\n2024-13;SELIC;0,1\n2024-04;IPCA;muito\n")
    result = ops("index", "import", "--locale", "pt-BR", str(bad))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {bad}: line 3, column 'month': '2024-13' is not a month: must be YYYY-MM; "
        "line 3, column 'index': unknown index 'SELIC': expected IPCA, IGP-M, INPC or cct_<code>; "
        "line 4, column 'pct': 'muito' is not a finite number\n"
    )
    assert ops.query(_counts) == (2, 0)  # the good first row of the refused file is not stored


def test_a_missing_or_unreadable_file_is_named(ops: Ops, tmp_path: Path) -> None:
    for path in (tmp_path / "nowhere.csv", tmp_path):
        result = ops("index", "import", str(path))
        assert result.exit_code == 2
        assert result.stderr.startswith(f"error: {path}: cannot read it ("), result.stderr


def test_a_month_entered_by_hand(ops: Ops) -> None:
    entered = ops("index", "set", "--index", "cct_sinttel_sp", "--month", "2024-03", "--pct", "5.2")
    assert entered.stdout == "cct_sinttel_sp 2024-03: 5.2 new\n"
    assert ops("index", "set", "--index", "cct_sinttel_sp", "--month", "2024-03", "--pct", "5.20").stdout == (
        "cct_sinttel_sp 2024-03: 5.20 unchanged\n"
    )
    changed = ops("index", "set", "--index", "cct_sinttel_sp", "--month", "2024-03", "--pct", "5.5", "--source", "CCT")
    assert changed.stdout == "cct_sinttel_sp 2024-03: 5.5 revised (was 5.2000)\n"
    assert ops.query(_counts) == (1, 1)
    for args, problem in (
        (("--index", "ipca", "--month", "2024-03", "--pct", "1"), "error: index: 'ipca' is not an index"),
        (("--index", "IPCA", "--month", "2024-3", "--pct", "1"), "error: --month: '2024-3' is not a month YYYY-MM"),
        (("--index", "IPCA", "--month", "2024-03", "--pct", "1,2"), "error: pct: '1,2' is not a number"),
        (("--index", "IPCA", "--month", "2024-03", "--pct", "-100"), "error: pct: -100 is not a monthly change"),
    ):
        refused = ops("index", "set", *args)
        assert refused.exit_code == 2
        assert refused.stderr.startswith(problem), refused.stderr
    assert ops.query(_counts) == (1, 1)


async def test_the_service_imports_and_revises(client: AsyncTestClient[Litestar], db: Any) -> None:
    # (`client` runs the app's lifespan, which closes the database pool at the end.)
    text = SERIES_FILE.read_text(encoding="utf-8")
    async with db.begin() as session:
        first = await services.import_series(session, text=text, source="fixture", actor="test")
    assert (first.new, first.unchanged, first.revised, first.indices) == (2 * MONTHS, 0, 0, ["IGP-M", "IPCA"])
    async with db.begin() as session:
        again = await services.import_series(session, text=text, source="fixture", actor="test")
    assert (again.new, again.unchanged, again.revised) == (0, 2 * MONTHS, 0)

    # FGV revises IGP-M 2025-06 and a new month is published: one new, one revision, nothing else touched.
    revised = text.replace("2025-06,0.24,-1.67,", "2025-06,0.24,-1.65,") + "2026-06,0.31,,IBGE\n"
    async with db.begin() as session:
        result = await services.import_series(session, text=revised, source="fgv-2026-07", actor="ana")
    assert (result.new, result.unchanged, result.revised) == (1, 2 * MONTHS - 1, 1)
    assert [(r.index, r.month, r.old_pct, r.new_pct) for r in result.revisions] == [
        ("IGP-M", "2025-06", D("-1.6700"), D("-1.65"))
    ]
    async with db() as session:
        assert (await services.series(session, "IGP-M"))[date(2025, 6, 1)] == D("-1.65")
        assert (await services.series(session, "IPCA"))[date(2026, 6, 1)] == D("0.31")
        stored = (await session.execute(select(IndexRevision))).scalars().one()
        assert (stored.index, stored.month, stored.old_pct, stored.new_pct) == (
            "IGP-M",
            date(2025, 6, 1),
            D("-1.67"),
            D("-1.65"),
        )
        assert (stored.source, stored.recorded_by) == ("fgv-2026-07", "ana")
        query = select(IndexValue).where(IndexValue.index == "IGP-M", IndexValue.month == stored.month)
        value = (await session.execute(query)).scalar_one()
        assert (value.source, value.recorded_by) == ("fgv-2026-07", "ana")

    # A file that contradicts itself is refused whole, naming both lines.
    contradiction = "month,index,pct\n2026-07,IPCA,0.2\n2026-07,IPCA,0.3\n"
    async with db.begin() as session:
        with pytest.raises(InvalidInputError, match=r"line 3, column 'pct': IPCA 2026-07 is 0.3 here and 0.2 on line"):
            await services.import_series(session, text=contradiction, source="x", actor="test")
    async with db() as session:
        assert await _counts(session) == (2 * MONTHS + 1, 1)


async def test_the_api_reads_a_series_and_revises_a_month_by_hand(client: AsyncTestClient[Litestar], db: Any) -> None:
    manager = bearer(await token(db, "manager"))
    put = await client.put("/api/indices/INPC/2024-01", json={"pct": "0.57", "source": "IBGE"}, headers=manager)
    assert put.status_code == 200, put.text
    assert put.json() == {"index": "INPC", "month": "2024-01", "pct": "0.57", "status": "new", "old_pct": None}
    same = await client.put("/api/indices/INPC/2024-01", json={"pct": 0.57}, headers=manager)
    assert same.json()["status"] == "unchanged"
    revised = await client.put("/api/indices/INPC/2024-01", json={"pct": 0.58}, headers=manager)
    assert revised.json() == {
        "index": "INPC",
        "month": "2024-01",
        "pct": "0.58",
        "status": "revised",
        "old_pct": "0.5700",
    }

    supervisor = bearer(await token(db, "supervisor"))
    series = (await client.get("/api/indices/INPC", headers=supervisor)).json()
    assert [(v["month"], v["pct"], v["source"]) for v in series["values"]] == [("2024-01", "0.5800", "manual")]
    assert [(r["month"], r["old_pct"], r["new_pct"], r["recorded_by"]) for r in series["revisions"]] == [
        ("2024-01", "0.5700", "0.5800", "token:t")
    ]
    assert (await client.get("/api/indices/INPC?from=2024-02", headers=supervisor)).json()["values"] == []

    for path, body, field in (
        ("/api/indices/INPC/2024-13", {"pct": 1}, "month"),
        ("/api/indices/INPC/2024-01", {"pct": "NaN"}, "pct"),
        ("/api/indices/INPC/2024-01", {"pct": "0.123456"}, "pct"),
        ("/api/indices/inpc/2024-01", {"pct": 1}, "index"),
        ("/api/indices/INPC/2024-01", {"pct": 1, "source": ""}, "source"),
    ):
        bad = await client.put(path, json=body, headers=manager)
        assert bad.status_code == 422, (path, body, bad.text)
        assert bad.json()["errors"][0]["field"] == field, bad.text
    unknown = await client.put("/api/indices/INPC/2024-01", json={"pct": 1, "pcts": 2}, headers=manager)
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "pcts", "problem": "unknown field"}]
    async with db() as session:
        assert await _counts(session) == (1, 1)
