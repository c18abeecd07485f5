"""`ops staffing plan`, as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli.main import main

WEEK = "2026-03-09"  # five weeks of history before it


def test_plan_prints_shifts_intervals_cost_and_bound_and_saves_the_plan(
    reference_cli: CliRunner, history: Path
) -> None:
    assert reference_cli.invoke(main, ["import", "intervals", str(history), "--contract", "reference"]).exit_code == 0
    result = reference_cli.invoke(main, ["staffing", "plan", "--contract", "reference", "--week", WEEK])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Plan for reference, week of 2026-03-09 (America/Sao_Paulo): optimal")
    assert "LP bound" in out
    assert "reinforcement" in out
    assert "retention: not planned" in out
    assert "2026-03-09 10:00  care" in out  # a staffed interval row

    as_json = reference_cli.invoke(main, ["staffing", "plan", "--contract", "reference", "--week", WEEK, "--json"])
    plan = json.loads(as_json.stdout)
    assert plan["status"] == "optimal"
    assert plan["gap"] <= 0.01
    shift_cost = sum(float(s["cost"]) for s in plan["shifts"])
    assert float(plan["cost"]) == pytest.approx(shift_cost)
    assert {s["queue"] for s in plan["shifts"]} <= {"care", "helpdesk", "care+helpdesk"}


def test_plan_and_backtest_refuse_bad_arguments_with_status_2(reference_cli: CliRunner) -> None:
    no_history = reference_cli.invoke(main, ["staffing", "plan", "--contract", "reference", "--week", WEEK])
    assert no_history.exit_code == 2
    assert "import interval statistics first" in no_history.stderr
    bad_week = reference_cli.invoke(main, ["staffing", "plan", "--contract", "reference", "--week", "next week"])
    assert bad_week.exit_code == 2
    neither = reference_cli.invoke(main, ["staffing", "backtest", "--weeks", "2"])
    assert neither.exit_code == 2
    assert "either --contract with --queue, or --series FILE" in neither.stderr


@pytest.mark.parametrize(
    ("week", "message"),
    [("2026-03-11", "2026-03-11 is a Wednesday: a week starts on a Monday"), ("1999-12-27", "is outside 2000-01-01")],
)
def test_plan_and_confirm_take_a_monday_within_the_window(reference_cli: CliRunner, week: str, message: str) -> None:
    for command in ("plan", "confirm"):
        result = reference_cli.invoke(main, ["staffing", command, "--contract", "reference", "--week", week])
        assert result.exit_code == 2, result.output
        assert "'--week'" in result.stderr
        assert message in result.stderr
