"""`ops import intervals|calls`, as an operator runs them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from ops.cli.main import main
from tests.integration.staffing.synthetic import interval_csv, interval_rows

WEEK = "2026-03-09"  # five weeks of history before it


def test_import_intervals_reports_rejected_lines_on_stderr_and_exits_1(
    reference_cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "stats.csv"
    rows = interval_rows(date(2026, 3, 2), 1, queues={"care": 1.0})
    path.write_text(interval_csv(rows) + "care,2026-03-03T08:00:00-03:00,-4,0,0,0,0,0,0,0\n", encoding="utf-8")
    result = reference_cli.invoke(main, ["import", "intervals", str(path), "--contract", "reference"])
    assert result.exit_code == 1
    assert "49 records, 48 intervals" in result.stdout
    assert "(48 new, 0 updated, 0 unchanged)" in result.stdout
    assert "rejected line 50: offered: '-4' is not a whole number >= 0" in result.stderr

    again = reference_cli.invoke(main, ["import", "intervals", str(path), "--contract", "reference", "--json"])
    assert json.loads(again.stdout)["unchanged"] == 48


def test_import_refuses_an_unknown_contract_or_a_file_that_is_not_an_interval_table(
    reference_cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "other.csv"
    path.write_text("when,calls\n2026-03-02,4\n", encoding="utf-8")
    wrong = reference_cli.invoke(main, ["import", "intervals", str(path), "--contract", "reference"])
    assert wrong.exit_code == 2
    assert "missing columns queue, interval_start" in wrong.stderr
    unknown = reference_cli.invoke(main, ["import", "intervals", str(path), "--contract", "nobody"])
    assert unknown.exit_code == 2
    assert "no contract 'nobody'" in unknown.stderr


def test_import_calls_from_a_cdr_counts_answered_and_abandoned_in_the_queue_clock(
    reference_cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "cdr.csv"
    path.write_text(
        "call_id,queue_entered_at,wait_seconds,outcome,handle_seconds\n"
        "1,2026-03-02T08:05:00-03:00,10,answered,200\n"
        "2,2026-03-02T08:29:59-03:00,25,answered,100\n"
        "3,2026-03-02T08:30:00-03:00,3,abandoned,\n",
        encoding="utf-8",
    )
    args = ["import", "calls", str(path), "--format", "cdr", "--contract", "reference", "--queue", "care", "--json"]
    result = reference_cli.invoke(main, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["records"], body["intervals"], body["inserted"]) == (3, 48, 48)
    assert body["first_interval"] == "2026-03-02T03:00:00+00:00"  # local midnight, every interval of the day kept
    assert json.loads(reference_cli.invoke(main, args).stdout)["unchanged"] == 48
    # The same day's later calls in a file of their own replace the day: the import says which file it replaced.
    later = tmp_path / "later.csv"
    later.write_text(
        "call_id,queue_entered_at,wait_seconds,outcome,handle_seconds\n4,2026-03-02T15:00:00-03:00,5,answered,60\n",
        encoding="utf-8",
    )
    replaced = reference_cli.invoke(main, [*args[:2], str(later), *args[3:-1]])
    assert replaced.exit_code == 0, replaced.output
    assert "(0 new, 3 updated, 45 unchanged)" in replaced.stdout
    assert f"warning: 3 intervals imported before from {path.name} were replaced" in replaced.stderr


def test_import_calls_from_an_asterisk_queue_log_maps_its_queues(reference_cli: CliRunner) -> None:
    from tests.conftest import FIXTURES

    path = FIXTURES / "asterisk_queue_log_sample.txt"
    args = ["import", "calls", str(path), "--format", "asterisk-queue-log", "--contract", "reference"]
    mapped = [*args, "--queue-map", "support=care", "--queue-map", "sales=helpdesk"]
    result = reference_cli.invoke(main, mapped)
    assert result.exit_code == 0, result.output
    assert "30 records, 96 intervals" in result.stdout
    assert "skipped 2 unfinished call records" in result.stdout
    assert "skipped 2 unmapped call records (of queues not named in --queue-map)" in result.stdout
    assert json.loads(reference_cli.invoke(main, [*mapped, "--json"]).stdout)["unchanged"] == 96

    wrong = reference_cli.invoke(main, [*args, "--queue-map", "support"])
    assert wrong.exit_code == 2
    assert "'support' is not NAME=QUEUE" in wrong.output
    neither = reference_cli.invoke(main, args)
    assert neither.exit_code == 2
    assert "name the queue (--queue) or map" in neither.stderr


def test_imports_say_what_is_wrong_with_a_file_that_is_not_text_or_not_the_format(
    reference_cli: CliRunner, tmp_path: Path
) -> None:
    """A user's wrong file meets one line naming it, never a traceback nor DuckDB's own SQL."""
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xc9\x00\x8d\xff" * 100)
    intervals = reference_cli.invoke(main, ["import", "intervals", str(binary), "--contract", "reference"])
    assert intervals.exit_code == 2
    assert "photo.csv: neither UTF-8 nor cp1252 text: not UTF-8 (byte 0xc9 at offset 0)" in intervals.stderr
    args = ["import", "calls", str(binary), "--format", "cdr", "--contract", "reference", "--queue", "care"]
    calls = reference_cli.invoke(main, args)
    assert calls.exit_code == 2
    assert calls.stderr.startswith("error: cannot read the call log: ")
    assert "is it a cdr call log" in calls.stderr and "SELECT" not in calls.stderr
    assert len(calls.stderr.strip().splitlines()) == 1
    text = tmp_path / "tickets.csv"
    text.write_text("external_id,channel\nx1,email\n", encoding="utf-8")
    args = ["import", "calls", str(text), "--format", "asterisk-queue-log", "--contract", "reference"]
    nothing = reference_cli.invoke(main, [*args, "--queue-map", "support=care"])
    assert nothing.exit_code == 1  # no record read is no success
    assert "tickets.csv: no record found" in nothing.stderr
