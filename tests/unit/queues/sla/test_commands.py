"""`ops sla due` / `ops sla elapsed` as support staff run them, including the error exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ops.queues.sla.commands import sla

CALENDAR = {
    "timezone": "America/Sao_Paulo",
    "hours": {day: [["08:00", "13:00"], ["14:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2025-12-24"],
    "country": "BR",
    "subdivision": "SP",
}

YAML_CALENDAR = """\
timezone: America/Sao_Paulo
hours:
  mon: [["08:00", "13:00"], ["14:00", "18:00"]]
  tue: [["08:00", "13:00"], ["14:00", "18:00"]]
  wed: [["08:00", "13:00"], ["14:00", "18:00"]]
  thu: [["08:00", "13:00"], ["14:00", "18:00"]]
  fri: [["08:00", "13:00"], ["14:00", "18:00"]]
holidays: [2025-12-24]
country: BR
subdivision: SP
"""


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps(CALENDAR), encoding="utf-8")
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(sla, list(args))


def test_due_prints_the_deadline_with_its_offset(calendar_file: Path) -> None:
    # Tuesday 8 July 2025 17:00 + 120 business minutes: 9 July is a São Paulo holiday.
    result = invoke("due", "--calendar", str(calendar_file), "--start", "2025-07-08T17:00:00-03:00", "--minutes", "120")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"due": "2025-07-10T09:00:00-03:00"}


def test_due_stays_at_closing_time_and_accepts_utc_input(calendar_file: Path) -> None:
    result = invoke("due", "--calendar", str(calendar_file), "--start", "2025-06-02T20:00Z", "--minutes", "60")
    assert json.loads(result.stdout) == {"due": "2025-06-02T18:00:00-03:00"}


def test_due_with_pauses_and_a_yaml_calendar(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(YAML_CALENDAR, encoding="utf-8")
    result = invoke(
        "due",
        "--calendar",
        str(path),
        "--start",
        "2025-12-23T17:00-03:00",
        "--minutes",
        "90",
        "--pause",
        "2025-12-23T17:30-03:00/2025-12-23T17:45-03:00",
        "--pause",
        "2025-12-26T08:00-03:00/2025-12-26T08:30-03:00",
    )
    assert result.exit_code == 0, result.output
    # 45 minutes on the 23rd, the 24th and 25th closed, then 45 more after the 08:00-08:30 pause.
    assert json.loads(result.stdout) == {"due": "2025-12-26T09:15:00-03:00"}


def test_elapsed_prints_business_minutes(calendar_file: Path) -> None:
    result = invoke(
        "elapsed",
        "--calendar",
        str(calendar_file),
        "--start",
        "2025-06-02T12:30-03:00",
        "--end",
        "2025-06-02T14:30:30-03:00",
        "--pause",
        "2025-06-02T14:00-03:00/2025-06-02T14:10-03:00",
    )
    assert result.exit_code == 0, result.output
    # 30 before lunch, 20.5 after it once the 10-minute pause is taken out.
    assert json.loads(result.stdout) == {"minutes": 50.5}


def test_elapsed_whole_minutes_print_as_an_integer(calendar_file: Path) -> None:
    result = invoke(
        "elapsed",
        "--calendar",
        str(calendar_file),
        "--start",
        "2025-06-06T17:00-03:00",
        "--end",
        "2025-06-09T09:00-03:00",
    )
    assert result.stdout.strip() == '{"minutes": 120}'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2025-06-02T09:00", "--minutes", "10"], "has no UTC offset"),
        (["--start", "yesterday", "--minutes", "10"], "'yesterday' is not an ISO 8601 timestamp"),
        (["--start", "2025-06-02T09:00Z", "--minutes", "-5"], "-5.0 is not a number of minutes >= 0"),
        (["--start", "2025-06-02T09:00Z", "--minutes", "nan"], "is not a number of minutes >= 0"),
        (["--start", "2025-06-02T09:00Z", "--minutes", "1e20"], "1e+20 minutes: at most 5256000 (ten years)"),
        (["--start", "2025-06-02T09:00Z", "--minutes", "ten"], "'ten' is not a valid float"),
        (
            ["--start", "2025-06-02T09:00Z", "--minutes", "10", "--pause", "2025-06-02T10:00Z"],
            "is not START/END",
        ),
        (
            [
                "--start",
                "2025-06-02T09:00Z",
                "--minutes",
                "10",
                "--pause",
                "2025-06-02T11:00Z/2025-06-02T10:00Z",
            ],
            "ends before it starts",
        ),
        (
            [
                "--start",
                "2025-06-02T09:00Z",
                "--minutes",
                "10",
                "--pause",
                "2025-06-02T10:00Z/2025-06-02T11:00",
            ],
            "pause end '2025-06-02T11:00' has no UTC offset",
        ),
        (["--minutes", "10"], "Missing option '--start'"),
    ],
)
def test_bad_arguments_exit_2_naming_the_problem(calendar_file: Path, args: list[str], message: str) -> None:
    result = invoke("due", "--calendar", str(calendar_file), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            json.dumps({**CALENDAR, "timezone": "America/Sao_Paul"}),
            "timezone: unknown time zone 'America/Sao_Paul'",
        ),
        (
            json.dumps({**CALENDAR, "hours": {"mon": [["08:00", "13:00"], ["14:00", "13:00"]]}}),
            "hours.mon[1]: end 13:00 is before start 14:00",
        ),
        (json.dumps({**CALENDAR, "subdivision": "XX"}), "subdivision: 'XX' is not a subdivision of BR"),
        ("timezone: [unclosed", "is neither JSON nor YAML"),
        ("- just a list", "calendar: expected a mapping, got list"),
    ],
)
def test_bad_calendar_file_exits_2_naming_the_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(content, encoding="utf-8")
    result = invoke("due", "--calendar", str(path), "--start", "2025-06-02T09:00Z", "--minutes", "10")
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_calendar_file_exits_2(tmp_path: Path) -> None:
    result = invoke("due", "--calendar", str(tmp_path / "nope.json"), "--start", "2025-06-02T09:00Z", "--minutes", "1")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_elapsed_rejects_an_end_before_the_start(calendar_file: Path) -> None:
    result = invoke(
        "elapsed",
        "--calendar",
        str(calendar_file),
        "--start",
        "2025-06-02T10:00Z",
        "--end",
        "2025-06-02T09:00Z",
    )
    assert result.exit_code == 2
    assert "is before --start" in result.stderr


def test_a_calendar_that_is_not_text_is_named_with_its_byte(tmp_path: Path) -> None:
    binary = tmp_path / "cal.json"
    binary.write_bytes(b"\xc9\x00\x8d")
    result = invoke("due", "--calendar", str(binary), "--start", "2026-11-20T17:30:00-03:00", "--minutes", "90")
    assert result.exit_code == 2
    assert "not UTF-8 text (byte 0xc9 at offset 0)" in result.output and "codec" not in result.output
