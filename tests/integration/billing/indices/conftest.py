"""The `ops` command line on the test database (SQLite, and PostgreSQL when configured), and the reference contract
moved to years the real index fixture covers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from click.testing import CliRunner, Result

from tests.conftest import FIXTURES
from tests.helpers import REFERENCE_CONTRACT

T = TypeVar("T")
SERIES_FILE = FIXTURES / "br_ipca_igpm_monthly_2015-2026.csv"  # IPCA and IGP-M, 2015-01 to 2026-05


def dated_contract(
    *, anniversary: str = "2024-03-01", index: str = "IPCA", ticket_minute: str = "1.05", code: str = "reference"
) -> str:
    """The reference contract (IPCA, floor at zero, INPC as fallback) signed early enough that its anniversaries fall
    where the fixture has data: it starts a year before `anniversary` and runs three years (to the day before). The
    ticket minute's base price (4.00 in the file) is one whose yearly rounding would drift if prices compounded on
    the rounded price."""
    first = date.fromisoformat(anniversary)
    starts, ends = first.replace(year=first.year - 1), first.replace(year=first.year + 2) - timedelta(days=1)
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8")
    for old, new in (
        ("anniversary: 2027-02-01", f"anniversary: {anniversary}"),
        ("signed_on: 2026-01-15", f"signed_on: {starts - timedelta(days=15)}"),
        ("starts_on: 2026-02-01", f"starts_on: {starts}"),
        ("ends_on: 2028-01-31", f"ends_on: {ends}"),
        ("index: IPCA\n  anniversary", f"index: {index}\n  anniversary"),
        ("ticket_minute: 4.00", f"ticket_minute: {ticket_minute}"),
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    if code != "reference":
        text = text.replace("code: reference", f"code: {code}", 1).replace("code: cabonet", f"code: {code}-client", 1)
    return text


class Ops:
    """`ops ARGS` run as a user would, on the test's database."""

    def __init__(self, runner: CliRunner, database_url: str) -> None:
        self.runner, self.database_url = runner, database_url

    def __call__(self, *args: str) -> Result:
        from ops.cli.main import main

        result = self.runner.invoke(main, list(args))
        assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
        return result

    def load(self, tmp_path: Path, text: str, name: str = "contract.yaml") -> None:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = self("contract", "load", str(path))
        assert result.exit_code == 0, result.output + result.stderr

    def query(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run `work(session)` on the same database, outside the command line (to check what it stored)."""
        from ops.config import get_settings
        from ops.runtime import open_runtime

        async def go() -> T:
            runtime = open_runtime(get_settings(), pool=False)
            try:
                async with runtime.sessionmaker() as session:
                    return await work(session)
            finally:
                await runtime.close()

        return asyncio.run(go())
