"""`ops import intervals|calls`, `ops staffing plan` and `ops staffing backtest`, as an operator runs them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli.main import main
from tests.conftest import FIXTURES
from tests.helpers import REFERENCE_CONTRACT
from tests.integration.staffing.synthetic import interval_csv, interval_rows

WEEK = "2026-03-09"  # five weeks of history before it


@pytest.fixture
def cli(cli: CliRunner) -> CliRunner:
    """The command line with the reference contract loaded."""
    assert cli.invoke(main, ["contract", "load", str(REFERENCE_CONTRACT)]).exit_code == 0
    return cli


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "intervals.csv"
    rows = interval_rows(date(2026, 2, 2), 35, queues={"care": 1.0, "helpdesk": 0.8})
    path.write_text(interval_csv(rows), encoding="utf-8")
    return path


def test_import_intervals_reports_rejected_lines_on_stderr_and_exits_1(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    rows = interval_rows(date(2026, 3, 2), 1, queues={"care": 1.0})
    path.write_text(interval_csv(rows) + "care,2026-03-03T08:00:00-03:00,-4,0,0,0,0,0,0,0\n", encoding="utf-8")
    result = cli.invoke(main, ["import", "intervals", str(path), "--contract", "reference"])
    assert result.exit_code == 1
    assert "49 records, 48 intervals" in result.stdout
    assert "(48 new, 0 updated, 0 unchanged)" in result.stdout
    assert "rejected line 50: offered: '-4' is not a whole number >= 0" in result.stderr

    again = cli.invoke(main, ["import", "intervals", str(path), "--contract", "reference", "--json"])
    assert json.loads(again.stdout)["unchanged"] == 48


def test_import_refuses_an_unknown_contract_or_a_file_that_is_not_an_interval_table(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "other.csv"
    path.write_text("when,calls\n2026-03-02,4\n", encoding="utf-8")
    wrong = cli.invoke(main, ["import", "intervals", str(path), "--contract", "reference"])
    assert wrong.exit_code == 2
    assert "missing columns queue, interval_start" in wrong.stderr
    unknown = cli.invoke(main, ["import", "intervals", str(path), "--contract", "nobody"])
    assert unknown.exit_code == 2
    assert "no contract 'nobody'" in unknown.stderr


def test_import_calls_from_a_cdr_counts_answered_and_abandoned_in_the_queue_clock(
    cli: CliRunner, tmp_path: Path
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
    result = cli.invoke(main, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["records"], body["intervals"], body["inserted"]) == (3, 48, 48)
    assert body["first_interval"] == "2026-03-02T03:00:00+00:00"  # local midnight, every interval of the day kept
    assert json.loads(cli.invoke(main, args).stdout)["unchanged"] == 48


def test_plan_prints_shifts_intervals_cost_and_bound_and_saves_the_plan(cli: CliRunner, history: Path) -> None:
    assert cli.invoke(main, ["import", "intervals", str(history), "--contract", "reference"]).exit_code == 0
    result = cli.invoke(main, ["staffing", "plan", "--contract", "reference", "--week", WEEK])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Plan for reference, week of 2026-03-09 (America/Sao_Paulo): optimal")
    assert "LP bound" in out
    assert "reinforcement" in out
    assert "retention: not planned" in out
    assert "2026-03-09 10:00  care" in out  # a staffed interval row

    as_json = cli.invoke(main, ["staffing", "plan", "--contract", "reference", "--week", WEEK, "--json"])
    plan = json.loads(as_json.stdout)
    assert plan["status"] == "optimal"
    assert plan["gap"] <= 0.01
    shift_cost = sum(float(s["cost"]) for s in plan["shifts"])
    assert float(plan["cost"]) == pytest.approx(shift_cost)
    assert {s["queue"] for s in plan["shifts"]} <= {"care", "helpdesk", "care+helpdesk"}


def test_plan_and_backtest_refuse_bad_arguments_with_status_2(cli: CliRunner) -> None:
    no_history = cli.invoke(main, ["staffing", "plan", "--contract", "reference", "--week", WEEK])
    assert no_history.exit_code == 2
    assert "import interval statistics first" in no_history.stderr
    bad_week = cli.invoke(main, ["staffing", "plan", "--contract", "reference", "--week", "next week"])
    assert bad_week.exit_code == 2
    neither = cli.invoke(main, ["staffing", "backtest", "--weeks", "2"])
    assert neither.exit_code == 2
    assert "either --contract with --queue, or --series FILE" in neither.stderr


def test_backtest_of_a_stored_queue_reports_the_model_against_both_baselines(cli: CliRunner, history: Path) -> None:
    assert cli.invoke(main, ["import", "intervals", str(history), "--contract", "reference"]).exit_code == 0
    args = ["staffing", "backtest", "--contract", "reference", "--queue", "care", "--weeks", "2", "--json"]
    result = cli.invoke(main, args)
    assert result.exit_code == 0, result.output
    table = {row["method"]: row for row in json.loads(result.stdout)}
    assert set(table) == {"model", "seasonal naive", "five-week median"}
    # Poisson noise around a fixed daily shape: pooling weeks beats last week's noise.
    assert table["model"]["wape"] < table["seasonal naive"]["wape"]
    too_long = cli.invoke(main, [*args[:-2], "30"])
    assert too_long.exit_code == 2
    assert "too short" in too_long.stderr


def test_backtest_of_a_series_file_in_its_own_zone_with_its_country_holidays(cli: CliRunner) -> None:
    series = FIXTURES / "series_us_bank_2003_30min_may-sep.csv"
    args = ["staffing", "backtest", "--series", str(series), "--timezone", "America/New_York", "--country", "US"]
    result = cli.invoke(main, [*args, "--weeks", "3"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("3 rolling one-week origins")
    assert "holidays known" in lines[0]
    assert [line.split()[0] for line in lines[2:]] == ["model", "seasonal", "five-week"]
    unknown = cli.invoke(main, [*args[:-1], "XX"])
    assert unknown.exit_code == 2
