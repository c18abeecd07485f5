"""The AMI adapter against a recorded Asterisk conversation, over a real socket with the real panoramisk:
`ops telephony ami` logs in, polls QueueSummary and QueueStatus twice, and the contract's voice queues get their
live figures and today's counters (carried from one poll to the next) on the wallboard."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ops.cli.main import main
from ops.config import get_settings
from ops.reports.wallboard.ami import readings
from ops.runtime import open_runtime
from tests.ami_replay import read_recording, replaying
from tests.conftest import FIXTURES

RECORDING = FIXTURES / "asterisk_ami_queue_polls.txt"


def board() -> dict[str, Any]:
    """The wallboard as a provider-wide manager reads it (the service behind the API and the page)."""
    from ops.auth import Principal
    from ops.reports.wallboard.services import wallboard

    async def go() -> dict[str, Any]:
        runtime = open_runtime(get_settings())
        try:
            async with runtime.sessionmaker() as session:
                queues = await wallboard(session, principal=Principal(0, "test", "manager", None, None))
        finally:
            await runtime.close()
        return {q.queue: q for q in queues}

    return asyncio.run(go())


def test_two_polls_of_a_recorded_asterisk_fill_the_wallboard(
    reference_cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_AMI_SECRET", "s3cret")
    with replaying(RECORDING) as asterisk:
        result = reference_cli.invoke(
            main,
            ["telephony", "ami", "--contract", "reference", "--host", "127.0.0.1", "--port", str(asterisk.port),
             "--username", "ops", "--every", "1", "--polls", "2"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    sent = [(a["Action"], a.get("Username"), a.get("Secret")) for a in asterisk.actions]
    assert sent[0] == ("Login", "ops", "s3cret")
    assert [a for a, _, _ in sent[1:]] == ["QueueSummary", "QueueStatus", "QueueSummary", "QueueStatus"]
    assert "default" in result.output  # Asterisk's queue no contract queue maps: said once, not stored
    assert result.output.count("cabonet-care->care") == 2

    queues = board()
    care = queues["care"]
    row = care.snapshot
    assert row is not None and row.source == "ami" and row.platform_queue == "cabonet-care"
    # The second poll: 1 caller waiting 9 s; 4 logged in (the unavailable member is not), 1 free, 2 on a call,
    # 1 paused for lunch.
    assert (row.calls_waiting, row.longest_wait_seconds) == (1, 9)
    assert (row.agents_logged_in, row.agents_available, row.agents_on_call, row.agents_paused) == (4, 1, 2, 1)
    # Asterisk's counters ran before the poller started: today counts from its first poll, what grew since.
    assert (care.counters.answered, care.counters.abandoned) == (18, 2)
    assert (care.counters.answered_within, care.counters.abandoned_within) == (14, 1)
    assert care.counted_from == row.counted_from and care.counted_from < row.observed_at
    assert care.service_level == pytest.approx(14 / 20)  # answered within 20 s / offered
    assert care.levels["service_level"] == "red" and care.stale is False
    tech = queues["helpdesk"]
    assert tech.counters.answered == 1 and tech.snapshot is not None and tech.snapshot.agents_available == 2


def test_a_refused_login_is_said_and_stores_nothing(
    reference_cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = RECORDING.read_text(encoding="utf-8").replace(
        "Response: Success\nActionID: {action_id}\nMessage: Authentication accepted",
        "Response: Error\nActionID: {action_id}\nMessage: Authentication failed",
    )
    refused = tmp_path / "refused.txt"
    refused.write_text(text, encoding="utf-8")
    monkeypatch.setenv("OPS_AMI_SECRET", "wrong")
    with replaying(refused) as asterisk:
        result = reference_cli.invoke(
            main,
            ["telephony", "ami", "--contract", "reference", "--host", "127.0.0.1", "--port", str(asterisk.port),
             "--username", "ops", "--polls", "1"],
        )  # fmt: skip
    assert result.exit_code == 2  # nothing was polled: the one-line error of the CLI, on stderr
    assert "refused the login of 'ops'" in result.stderr and result.stdout == ""
    assert board()["care"].snapshot is None


def test_an_asterisk_out_of_reach_is_one_line_on_stderr(
    reference_cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("OPS_AMI_SECRET", "x")
    result = reference_cli.invoke(
        main,
        ["telephony", "ami", "--contract", "reference", "--host", "127.0.0.1", "--port", str(port),
         "--username", "ops", "--polls", "1"],
    )  # fmt: skip
    assert result.exit_code == 2 and result.stdout == "", result.output
    assert result.stderr.startswith(f"error: cannot reach the manager interface at 127.0.0.1:{port}")
    assert board()["care"].snapshot is None


def test_the_secret_comes_from_the_environment(reference_cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPS_AMI_SECRET", raising=False)
    result = reference_cli.invoke(
        main, ["telephony", "ami", "--contract", "reference", "--host", "127.0.0.1", "--username", "ops"]
    )
    assert result.exit_code == 2 and "OPS_AMI_SECRET" in result.output


def test_the_recorded_events_read_as_asterisk_means_them() -> None:
    recording = read_recording(RECORDING)
    events = []
    for answer in (recording.answers["queuesummary"][0], recording.answers["queuestatus"][0]):
        for message in answer:
            events.append(dict(line.split(": ", 1) for line in message.splitlines() if ": " in line))
    found = {r.queue: r for r in readings(events)}
    care = found["cabonet-care"]
    assert (care.calls_waiting, care.longest_wait_seconds) == (2, 48)
    # 80.3 % of 412 completed within 20 s; 76.2 % of the 450 answered or abandoned within it.
    assert (care.counters.answered, care.counters.answered_within) == (412, 331)
    assert (care.counters.abandoned, care.counters.abandoned_within) == (38, 12)
    assert care.threshold_seconds == 20
    assert set(found) == {"cabonet-care", "cabonet-tech", "default"}


def test_an_unknown_contract_stops_before_any_connection(
    reference_cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_AMI_SECRET", "s3cret")
    with replaying(RECORDING) as asterisk:
        result = reference_cli.invoke(
            main,
            ["telephony", "ami", "--contract", "nope", "--host", "127.0.0.1", "--port", str(asterisk.port),
             "--username", "ops"],
        )  # fmt: skip
    assert result.exit_code == 2 and "no contract 'nope'" in result.output
    assert asterisk.actions == []


def test_a_refused_or_mismatched_poll_is_said_and_stores_nothing(
    reference_cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    recorded = RECORDING.read_text(encoding="utf-8")
    variants = {
        # The AMI user lacks the read class QueueStatus needs.
        "QueueStatus refused: Permission denied": recorded.replace(
            "Response: Success\nActionID: {action_id}\nEventList: start\nMessage: Queue status will follow",
            "Response: Error\nActionID: {action_id}\nMessage: Permission denied",
        ),
        # Asterisk's servicelevel is not the contract's T: its "within" counts would not be the contract's.
        "threshold_seconds: answered within 30 s": recorded.replace("ServiceLevel: 20", "ServiceLevel: 30"),
    }
    monkeypatch.setenv("OPS_AMI_SECRET", "s3cret")
    for said, text in variants.items():
        path = tmp_path / "variant.txt"
        path.write_text(text, encoding="utf-8")
        with replaying(path) as asterisk:
            result = reference_cli.invoke(
                main,
                ["telephony", "ami", "--contract", "reference", "--host", "127.0.0.1", "--port", str(asterisk.port),
                 "--username", "ops", "--polls", "1"],
            )  # fmt: skip
        assert result.exit_code == 1, result.output
        assert "poll 1 failed" in result.output and said in result.output, result.output
        assert board()["care"].snapshot is None
