"""`ops import tickets` on large files: batches committed one by one, a bad row costing itself only, the row limit,
numbers by the locale, and SIGTERM stopping between batches with a report and no duplicates on the rerun. On SQLite
and, when configured, PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ops.cli.main import main
from ops.db import make_engine, make_sessionmaker
from ops.queues.models import Ticket, TicketEvent
from tests.helpers import REFERENCE_CONTRACT

HEADER = ["external_id", "channel", "subject", "body", "customer_followers", "created_at"]


@pytest.fixture
def runner(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command line on the test's database (SQLite or PostgreSQL) with the reference contract loaded."""
    from ops.config import get_settings

    monkeypatch.setenv("OPS_DATABASE_URL", database_url)
    monkeypatch.setenv("OPS_REPORTS_DIR", str(tmp_path / "reports"))
    get_settings.cache_clear()
    cli = CliRunner()
    assert cli.invoke(main, ["contract", "load", str(REFERENCE_CONTRACT)]).exit_code == 0
    yield cli
    get_settings.cache_clear()


def counts(url: str) -> tuple[list[str], int]:
    """External ids of the stored tickets (in id order) and the number of `created` events."""

    async def go() -> tuple[list[str], int]:
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                ids = list((await session.execute(select(Ticket.external_id).order_by(Ticket.id))).scalars())
                events = await session.scalar(
                    select(func.count()).select_from(TicketEvent).where(TicketEvent.action == "created")
                )
                return ids, int(events or 0)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def good(n: int, followers: str = "") -> list[str]:
    return [f"T-{n:05d}", "email", "Sem conexão", "Caiu a internet", followers, "2026-03-02T10:00:00-03:00"]


def test_a_bad_row_in_batch_two_keeps_batches_one_and_three(
    runner: CliRunner, database_url: str, tmp_path: Path
) -> None:
    rows = [good(n) for n in range(1, 10)]
    rows[4] = ["T-00005", "", "Sem conexão", "x", "muitos", "ontem"]  # line 6: three problems, all named
    path = write(tmp_path / "tickets.csv", rows)
    result = runner.invoke(main, ["import", "tickets", str(path), "--contract", "reference", "--batch-size", "3"])
    assert result.exit_code == 1, result.output
    rejected = [line for line in result.stderr.splitlines() if "rejected:" in line]
    assert rejected == [
        "line 6: rejected: channel: required; customer.followers: expected a non-negative integer, got 'muitos'; "
        "created_at: 'ontem' is not an ISO 8601 date-time such as 2026-11-23T10:15:00-03:00"
    ]
    assert (
        "tickets.csv: 9 rows read, 8 accepted (stored now or before), 1 rejected" in result.stderr
    )  # progress on stderr
    assert result.stdout.splitlines()[-1] == f"{path}: 8 accepted (8 created, 0 existing), 1 rejected"
    stored, events = counts(database_url)
    assert stored == [f"T-{n:05d}" for n in (1, 2, 3, 4, 6, 7, 8, 9)]
    assert events == 8


def test_followers_are_read_as_the_locale_writes_them(runner: CliRunner, database_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "followers.csv", [good(1, "1.200"), good(2, "3.400.000")])
    assert runner.invoke(main, ["import", "tickets", str(path), "--contract", "reference"]).exit_code == 0
    english = write(tmp_path / "english.csv", [good(3, "1,200"), good(4, "1.200")])
    result = runner.invoke(main, ["import", "tickets", str(english), "--contract", "reference", "--locale", "en"])
    assert result.exit_code == 1
    assert "line 3: rejected: customer.followers: expected a non-negative integer, got '1.200'" in result.stderr

    async def followers() -> dict[str, int]:
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                found = await session.execute(select(Ticket.external_id, Ticket.customer))
                return {e: c.get("followers") for e, c in found.tuples()}
        finally:
            await engine.dispose()

    assert asyncio.run(followers()) == {"T-00001": 1200, "T-00002": 3_400_000, "T-00003": 1200}


def test_a_file_over_the_row_limit_is_refused_before_any_row(
    runner: CliRunner, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ops.config import get_settings

    monkeypatch.setenv("OPS_IMPORT_MAX_ROWS", "3")
    get_settings.cache_clear()
    path = write(tmp_path / "four.csv", [good(n) for n in range(4)])
    result = runner.invoke(main, ["import", "tickets", str(path), "--contract", "reference"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {path}: 4 rows, more than the 3 a file may hold (OPS_IMPORT_MAX_ROWS): split the file"
    )
    assert counts(database_url) == ([], 0)


def test_a_file_read_the_wrong_way_names_its_encoding_and_separator(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "pipes.csv"
    path.write_bytes("external_id|channel\nX1|email\n".encode("cp1252"))
    result = runner.invoke(main, ["import", "tickets", str(path), "--contract", "reference", "--delimiter", ";"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "missing column(s) external_id" in result.stderr
    assert "(read as CSV, utf-8, ';'-separated; pass --encoding / --delimiter if that is wrong)" in result.stderr


def test_a_separator_is_one_character_or_named(runner: CliRunner, database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tabs.csv"
    path.write_text("external_id\tchannel\tsubject\nT1\temail\tSem sinal\n", encoding="utf-8")
    for typed in ("tab", "\\t"):  # what a person types where a tab cannot be
        result = runner.invoke(main, ["import", "tickets", str(path), "--contract", "reference", "--delimiter", typed])
        assert result.exit_code == 0, result.output
    assert counts(database_url)[1] == 1
    wrong = runner.invoke(main, ["import", "tickets", str(path), "--contract", "reference", "--delimiter", ";;"])
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output  # it was csv's TypeError
    assert "the delimiter must be one character or one of tab" in wrong.stderr and "not ';;'" in wrong.stderr


def test_sigterm_stops_between_batches_and_the_rerun_adds_no_duplicates(
    runner: CliRunner, database_url: str, tmp_path: Path
) -> None:
    total = 4000
    path = write(tmp_path / "big.csv", [good(n) for n in range(total)])
    ops = str(Path(sys.executable).parent / "ops")
    command = [ops, "import", "tickets", str(path), "--contract", "reference", "--batch-size", "100", "--quiet"]
    env = {**os.environ, "OPS_DATABASE_URL": database_url, "OPS_REPORTS_DIR": str(tmp_path / "reports")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    first = process.stderr.readline()  # the progress line after the first batch
    assert "rows read" in first, first
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and out == ""
    assert "SIGTERM received: stopping after the batch in progress" in err
    report = err.strip().splitlines()[-1]
    assert report.startswith(f"stopped by SIGTERM; committed before it: {path}: ")
    committed = int(report.split(": ")[-1].split()[0])
    assert 100 <= committed < total and committed % 100 == 0  # whole batches, nothing half-done
    assert report.endswith(
        f"{committed} accepted ({committed} created, 0 existing), 0 rejected. The same command again stores the rest."
    )
    stored, events = counts(database_url)
    assert len(stored) == events == committed

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        f"{path}: {total} accepted ({total - committed} created, {committed} existing), 0 rejected"
    )
    stored, events = counts(database_url)
    assert sorted(stored) == [f"T-{n:05d}" for n in range(total)] and events == total
