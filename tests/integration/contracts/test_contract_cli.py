"""`ops contract load / export` and `ops token create`, as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ops.cli.main import main
from tests.helpers import REFERENCE_CONTRACT


def test_load_is_idempotent_and_export_round_trips(cli: CliRunner, tmp_path: Path) -> None:
    first = cli.invoke(main, ["contract", "load", str(REFERENCE_CONTRACT), "--by", "ana"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "reference: created (1 changes)"
    again = cli.invoke(main, ["contract", "load", str(REFERENCE_CONTRACT)])
    assert again.output.strip() == "reference: unchanged"

    exported = tmp_path / "exported.yaml"
    assert cli.invoke(main, ["contract", "export", "reference", "--out", str(exported)]).exit_code == 0
    original = yaml.safe_load(REFERENCE_CONTRACT.read_text(encoding="utf-8"))
    back = yaml.safe_load(exported.read_text(encoding="utf-8"))
    assert back["code"] == "reference"
    assert [q["code"] for q in back["queues"]] == [q["code"] for q in original["queues"]]
    assert back["queues"][0]["base_positions"] == 15
    assert back["calendars"] == original["calendars"]
    # Loading what was exported is the same contract: nothing changes.
    assert cli.invoke(main, ["contract", "load", str(exported)]).output.strip() == "reference: unchanged"


def test_changed_file_is_recorded_with_who_and_what(cli: CliRunner, tmp_path: Path) -> None:
    cli.invoke(main, ["contract", "load", str(REFERENCE_CONTRACT)])
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        REFERENCE_CONTRACT.read_text(encoding="utf-8").replace("ticket_minute: 4.00", "ticket_minute: 4.25"),
        encoding="utf-8",
    )
    result = cli.invoke(main, ["contract", "load", str(changed), "--by", "joao"])
    assert result.output.splitlines()[0] == "reference: updated (1 changes)"
    assert "prices.ticket_minute: '4.0' -> '4.25'" in result.output
    log = cli.invoke(main, ["contract", "changes", "reference"]).output.strip().splitlines()
    assert len(log) == 2
    assert '"by": "joao"' in log[1]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("target: 0.80", "target: high", "queues[0].sla.voice.target: expected a number, got text"),
        (
            "kind: care",
            "kind: sales",
            "queues[0].kind: Invalid enum value 'sales' (allowed: bo_care, bo_helpdesk, care, helpdesk, retention, "
            "social)",
        ),
        ('mon: [["08:00", "21:00"]]', 'mon: [["21:00", "08:00"]]', "calendars.voice.hours.mon[0]"),
        ("calendar: back_office", "calendar: backoffice", "queues[3].calendar: unknown calendar 'backoffice'"),
        ("base_positions: 15", "base_positons: 15", "queues[0].base_positons: unknown field"),
        ("timezone: America/Sao_Paulo\n", "timezone: America/Sao_Paul\n", "timezone: unknown time zone"),
        ("code: reference", "code: [reference", "line "),
        ("queue: bo_helpdesk", "queue: bo_helpdsk", "classification["),
    ],
)
def test_bad_file_names_file_field_and_problem_and_changes_nothing(
    cli: CliRunner, tmp_path: Path, old: str, new: str, message: str
) -> None:
    cli.invoke(main, ["contract", "load", str(REFERENCE_CONTRACT)])
    before = cli.invoke(main, ["contract", "export", "reference"]).output
    bad = tmp_path / "bad.yaml"
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8")
    assert old in text
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = cli.invoke(main, ["contract", "load", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output
    assert message in result.output
    assert cli.invoke(main, ["contract", "export", "reference"]).output == before


def test_token_create(cli: CliRunner) -> None:
    cli.invoke(main, ["contract", "load", str(REFERENCE_CONTRACT)])
    made = cli.invoke(main, ["token", "create", "--role", "client", "--contract", "reference", "--name", "portal"])
    assert made.exit_code == 0
    assert made.output.startswith("ops_")
    assert len(made.output.strip()) > 40
    orphan = cli.invoke(main, ["token", "create", "--role", "client", "--name", "nobody"])
    assert orphan.exit_code == 2
    assert "a client token needs a contract" in orphan.output
    unknown = cli.invoke(main, ["token", "create", "--role", "client", "--contract", "nope", "--name", "x"])
    assert unknown.exit_code == 2
    assert "no contract 'nope'" in unknown.output
