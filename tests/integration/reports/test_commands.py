"""`ops report sla` and `ops report deliver` as an operator runs them, on the Anonymous Bank slice."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from ops.cli.main import main
from ops.config import get_settings
from tests.helpers import REFERENCE_CONTRACT
from tests.integration.reports.conftest import SLICE, Inbox
from tests.integration.reports.delivery.test_delivery import DAILY, FAST_DAILY

SLA = ["report", "sla", "--contract", "reference", "--from", "1999-02-12", "--to", "1999-02-14"]


@pytest.fixture
def cli(cli: CliRunner, tmp_path: Path) -> CliRunner:
    """The command line with the reference contract (a delivery every minute) and the February slice in `care`."""
    runner = cli
    contract = tmp_path / "contract.yaml"
    contract.write_text(REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(DAILY, FAST_DAILY), encoding="utf-8")
    assert runner.invoke(main, ["contract", "load", str(contract)]).exit_code == 0
    imported = runner.invoke(
        main,
        ["import", "calls", "--format", "anonymous-bank", "--contract", "reference", "--queue", "care", str(SLICE)],
    )
    assert imported.exit_code == 0, imported.output
    return runner


def test_sla_json_has_queues_total_and_the_formula(cli: CliRunner) -> None:
    result = cli.invoke(main, [*SLA, "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    care = body["queues"][0]
    assert {k: care[k] for k in ("queue", "offered", "answered", "answered_within", "abandoned")} == {
        "queue": "care",
        "offered": 2191,
        "answered": 1966,
        "answered_within": 1470,
        "abandoned": 225,
    }
    assert round(care["service_level"] * 100, 1) == 67.1
    assert round(care["asa"], 1) == 23.1
    assert round(care["aht"], 1) == 154.4
    assert body["total"]["offered"] == 2191
    assert body["service_level"]["expression"] == "answered_within / offered"


def test_sla_xlsx_to_a_file(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "feb.xlsx"
    result = cli.invoke(main, [*SLA, "--format", "xlsx", "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    assert "Scorecard" in book.sheetnames
    assert "Intervals" in book.sheetnames
    # Without --lang, the contract's language (the reference contract's client is Brazilian).
    result = cli.invoke(main, [*SLA, "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Indicadores" in openpyxl.load_workbook(out, read_only=True).sheetnames


def test_sla_html_in_spanish_with_the_appendix(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "feb.html"
    result = cli.invoke(main, [*SLA, "--format", "html", "--out", str(out), "--lang", "es-AR", "--appendix"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<h2>Resumen ejecutivo</h2>" in html and "<h2>Anexo: intervalos con llamadas</h2>" in html
    assert "2.191" in html  # offered, in Argentine digits


def test_bad_input_is_named_on_stderr_with_status_2(cli: CliRunner) -> None:
    backwards = cli.invoke(
        main, ["report", "sla", "--contract", "reference", "--from", "1999-02-14", "--to", "1999-02-01"]
    )
    assert backwards.exit_code == 2
    assert "before it starts" in backwards.stderr
    nodate = cli.invoke(
        main, ["report", "sla", "--contract", "reference", "--from", "14/02/1999", "--to", "1999-02-01"]
    )
    assert nodate.exit_code == 2
    assert "--from '14/02/1999' is not a date" in nodate.stderr
    unknown = cli.invoke(main, ["report", "sla", "--contract", "nobody", "--from", "1999-02-01", "--to", "1999-02-02"])
    assert unknown.exit_code == 2
    assert "no contract 'nobody'" in unknown.stderr


def test_an_out_file_in_a_missing_folder_is_refused_before_rendering(cli: CliRunner, tmp_path: Path) -> None:
    """Not a FileNotFoundError traceback after the whole PDF is drawn: the option is named, nothing is written."""
    missing = tmp_path / "nowhere" / "report.pdf"
    result = cli.invoke(main, [*SLA, "--format", "pdf", "--out", str(missing)])
    assert result.exit_code == 2
    assert "Invalid value for '--out'" in result.stderr and "does not exist" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    inside_a_file = cli.invoke(main, [*SLA, "--format", "csv", "--out", str(tmp_path / "a-file" / "r.csv")])
    assert inside_a_file.exit_code == 2
    assert "is a file, not a folder" in inside_a_file.stderr


def test_deliver_now_sends_once(cli: CliRunner, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp
    monkeypatch.setenv("OPS_SMTP_PORT", str(port))
    monkeypatch.setenv("OPS_SMTP_PLAIN_RELAY", "127.0.0.1")  # the test server stands for the local relay
    get_settings.cache_clear()
    args = ["report", "deliver", "--contract", "reference", "--delivery", "daily", "--date", "1999-02-13"]
    first = cli.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["sent_now"] == ["email"]
    again = cli.invoke(main, args)
    assert json.loads(again.stdout)["sent_now"] == []
    assert len(inbox.messages) == 1
    unknown = cli.invoke(main, ["report", "deliver", "--contract", "reference", "--delivery", "weekly"])
    assert unknown.exit_code == 2
    assert "has no delivery 'weekly'" in unknown.stderr


def test_a_period_before_1970_is_named_on_stderr(cli: CliRunner) -> None:
    result = cli.invoke(
        main, ["report", "sla", "--contract", "reference", "--from", "0001-01-01", "--to", "1999-02-01"]
    )
    assert result.exit_code == 2
    assert "--from 0001-01-01 is outside 1970-01-01 to" in result.stderr
