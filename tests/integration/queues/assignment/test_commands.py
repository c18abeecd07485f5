"""`ops agent create|list|token`, as an operator runs them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ops.cli.main import main


def test_agent_create_prints_a_token_that_works(reference_cli: CliRunner, sqlite_url: str) -> None:
    from litestar.testing import TestClient

    from ops.app import create_app
    from ops.config import Settings

    result = reference_cli.invoke(
        main,
        [
            "agent",
            "create",
            "--contract",
            "reference",
            "--name",
            "Ana Lima",
            "--skills",
            "bo_care,social:2",
            "--capacity",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("ops_")
    listed = reference_cli.invoke(main, ["agent", "list", "--contract", "reference"])
    assert json.loads(listed.stdout) == {
        "id": 1,
        "name": "Ana Lima",
        "position": "pos-ana-lima",
        "skills": {"bo_care": 1, "social": 2},
        "status": "offline",
        "capacity": 4,
        "open_count": 0,
    }
    app = create_app(Settings(database_url=sqlite_url, scheduler="off", database_pool=False))
    with TestClient(app) as client:
        me = client.get("/api/agents/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["name"] == "Ana Lima"

    bad = reference_cli.invoke(
        main, ["agent", "create", "--contract", "reference", "--name", "X", "--skills", "nowhere"]
    )
    assert bad.exit_code == 2
    assert "unknown queue 'nowhere'" in bad.output
    # The same command run twice made a second Ana Lima and gave the first one's position the new skills.
    again = reference_cli.invoke(
        main, ["agent", "create", "--contract", "reference", "--name", "ana lima", "--skills", "helpdesk"]
    )
    assert again.exit_code == 2 and "is named 'ana lima' already" in again.stderr, again.output
    bell = reference_cli.invoke(
        main, ["agent", "create", "--contract", "reference", "--name", "Ev\x01e", "--skills", "bo_care"]
    )
    assert bell.exit_code == 2 and "error: name: control character U+0001 at position 2" in bell.stderr, bell.output
    listed = reference_cli.invoke(main, ["agent", "list", "--contract", "reference"]).stdout.splitlines()
    assert [(a["name"], a["skills"]) for a in map(json.loads, listed)] == [("Ana Lima", {"bo_care": 1, "social": 2})]


def test_an_agent_gets_a_fresh_token_for_the_next_shift(reference_cli: CliRunner, sqlite_url: str) -> None:
    from litestar.testing import TestClient

    from ops.app import create_app
    from ops.config import Settings

    args = ["agent", "create", "--contract", "reference", "--name", "Bia", "--skills", "bo_care"]
    assert reference_cli.invoke(main, args).exit_code == 0
    fresh = reference_cli.invoke(main, ["agent", "token", "1", "--expires-in", "8h"])
    assert fresh.exit_code == 0, fresh.output
    secret = fresh.stdout.strip()
    line = next(
        x for x in reference_cli.invoke(main, ["token", "list"]).output.splitlines() if x.startswith(secret[:12])
    )
    assert "agent" in line and "agent:Bia" in line
    app = create_app(Settings(database_url=sqlite_url, scheduler="off", database_pool=False))
    with TestClient(app) as client:
        me = client.get("/api/agents/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["name"] == "Bia"
    missing = reference_cli.invoke(main, ["agent", "token", "99"])
    assert missing.exit_code != 0 and "no agent 99" in missing.output
