"""``ops staffing erlang``: one JSON object out, clear errors with exit status 2."""

import json

import pytest
from click.testing import CliRunner

from ops.staffing.commands import staffing

BASE = ["erlang", "--calls", "100", "--interval-seconds", "1800", "--aht", "180", "--answer-within", "20"]
KEYS = {"agents", "scheduled", "service_level", "p_wait", "asa", "occupancy", "p_abandon"}


def run(*extra: str) -> tuple[int, dict[str, object] | None, str]:
    result = CliRunner().invoke(staffing, [*BASE, *extra])
    body = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, body, result.stderr


def test_textbook_example_as_json() -> None:
    code, body, _ = run("--max-occupancy", "0.85", "--shrinkage", "0.3")
    assert code == 0
    assert body is not None
    assert set(body) == KEYS
    assert (body["agents"], body["scheduled"], body["p_abandon"]) == (14, 20, None)
    assert round(float(body["service_level"]), 4) == 0.8884  # type: ignore[arg-type]
    assert round(float(body["p_wait"]), 4) == 0.1741  # type: ignore[arg-type]


def test_exact_positions_from_the_command_line() -> None:
    code, body, _ = run("--calls", "164", "--max-occupancy", "0.85", "--shrinkage", "0.3")
    assert code == 0
    assert body is not None
    assert (body["agents"], body["scheduled"]) == (21, 30)


def test_patience_switches_to_erlang_a() -> None:
    code, body, _ = run("--patience", "60", "--max-abandon", "0.03")
    assert code == 0
    assert body is not None
    assert 0 < float(body["p_abandon"]) <= 0.03  # type: ignore[arg-type]


def test_agents_evaluates_instead_of_searching() -> None:
    code, body, _ = run("--agents", "12", "--shrinkage", "0.2")
    assert code == 0
    assert body is not None
    assert (body["agents"], body["scheduled"]) == (12, 15)
    assert float(body["service_level"]) < 0.8  # type: ignore[arg-type]


def test_unstable_evaluation_prints_valid_json_with_null_asa() -> None:
    code, body, _ = run("--agents", "10")
    assert code == 0
    assert body is not None
    assert (body["asa"], body["p_wait"], body["service_level"]) == (None, 1.0, 0.0)


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--calls", "-5"], "--calls"),
        (["--shrinkage", "1"], "--shrinkage"),
        (["--target", "1.2"], "--target"),
        (["--patience", "60", "--max-abandon", "0"], "--max-abandon"),
        (["--patience", "60", "--max-abandon", "1e-300"], "--max-abandon"),
        (["--aht", "ten"], "--aht"),
        (["--agents", "0"], "--agents"),
    ],
)
def test_bad_arguments_exit_2_naming_the_option(extra: list[str], option: str) -> None:
    code, body, err = run(*extra)
    assert code == 2
    assert body is None
    assert option in err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--calls", "1e12", "'1e12' is more than 1e+06"),
        ("--aht", "1e400", "'1e400' is more than 86400"),
        ("--interval-seconds", "inf", "is not a finite number"),
        ("--agents", "1000000000000", "1000000000000 is not in the range 1<=x<=1000000"),
        ("--patience", "1e-9", "'1e-9' is less than 1"),  # it blamed --target, past a numpy warning
    ],
)
def test_absurd_sizes_are_a_clear_error_not_a_numpy_traceback(option: str, value: str, message: str) -> None:
    code, _, stderr = run(option, value)
    assert code == 2
    assert option in stderr
    assert message in stderr
    assert "Traceback" not in stderr
