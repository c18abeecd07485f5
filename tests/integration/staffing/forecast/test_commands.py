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


def test_a_series_file_saved_by_a_brazilian_excel_backtests_as_the_comma_file_and_bad_rows_are_all_named(
    reference_cli: CliRunner, tmp_path: Path
) -> None:
    source = FIXTURES / "series_us_bank_2003_30min_may-sep.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    excel = tmp_path / "excel.csv"  # ';'-separated, cp1252 (an accented extra column)
    excel.write_bytes("\r\n".join(f"{line.replace(',', ';')};observação" for line in lines).encode("cp1252"))
    base = ["staffing", "backtest", "--timezone", "America/New_York", "--weeks", "3", "--json"]
    comma = reference_cli.invoke(main, [*base, "--series", str(source)])
    semicolon = reference_cli.invoke(main, [*base, "--series", str(excel)])
    assert semicolon.exit_code == 0, semicolon.output

    def figures(output: str) -> list[dict[str, object]]:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in json.loads(output)]

    assert figures(semicolon.stdout) == figures(comma.stdout)

    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[1], "2003-05-19T25:00:00-0400,many", lines[3], "yesterday,-"]) + "\n")
    result = reference_cli.invoke(main, [*base, "--series", str(bad)])
    assert result.exit_code == 2
    assert "line 3: interval_start: '2003-05-19T25:00:00-0400' is not an ISO 8601" in result.stderr
    assert "line 3: interval_start" in result.stderr and "offered: 'many' is not a number" in result.stderr
    assert "line 5: interval_start: 'yesterday'" in result.stderr and "offered: '-' is not a number" in result.stderr
