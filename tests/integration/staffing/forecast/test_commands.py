"""`ops staffing backtest`, as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ops.cli.main import main
from tests.conftest import FIXTURES

WEEK = "2026-03-09"  # five weeks of history before it


def test_backtest_of_a_stored_queue_reports_the_model_against_both_baselines(
    reference_cli: CliRunner, history: Path
) -> None:
    assert reference_cli.invoke(main, ["import", "intervals", str(history), "--contract", "reference"]).exit_code == 0
    args = ["staffing", "backtest", "--contract", "reference", "--queue", "care", "--weeks", "2", "--json"]
    result = reference_cli.invoke(main, args)
    assert result.exit_code == 0, result.output
    table = {row["method"]: row for row in json.loads(result.stdout)}
    assert set(table) == {"model", "seasonal naive", "five-week median"}
    # Poisson noise around a fixed daily shape: pooling weeks beats last week's noise.
    assert table["model"]["wape"] < table["seasonal naive"]["wape"]
    too_long = reference_cli.invoke(main, [*args[:-2], "30"])
    assert too_long.exit_code == 2
    assert "too short" in too_long.stderr


def test_backtest_of_a_series_file_in_its_own_zone_with_its_country_holidays(reference_cli: CliRunner) -> None:
    series = FIXTURES / "series_us_bank_2003_30min_may-sep.csv"
    args = ["staffing", "backtest", "--series", str(series), "--timezone", "America/New_York", "--country", "US"]
    result = reference_cli.invoke(main, [*args, "--weeks", "3"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("3 rolling one-week origins")
    assert "holidays known" in lines[0]
    assert [line.split()[0] for line in lines[2:]] == ["model", "seasonal", "five-week"]
    unknown = reference_cli.invoke(main, [*args[:-1], "XX"])
    assert unknown.exit_code == 2
