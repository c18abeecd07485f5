"""A wrong OPS_* variable is one line naming it, exit status 2, before any command runs (it was pydantic's
traceback on every command, `ops migrate` included)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli.main import main
from ops.config import get_settings

WRONG = [
    ("OPS_DATABASE_URL", "mysql://ops:secret@db/ops", "'mysql://ops:***@db/ops' is not a database ops runs on"),
    (  # read, then out of reach when migrated: one line all the same
        "OPS_DATABASE_URL",
        "sqlite+aiosqlite:////no/such/folder/ops.sqlite3",
        "error: cannot open the database sqlite+aiosqlite:////no/such/folder/ops.sqlite3: unable to open database file",
    ),
    ("OPS_JOB_TIMEOUT_SECONDS", "ten", "error: OPS_JOB_TIMEOUT_SECONDS: Input should be a valid integer"),
]


@pytest.mark.parametrize(("name", "value", "said"), WRONG)
def test_a_wrong_setting_is_named_in_one_line(
    name: str, value: str, said: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["migrate"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert said in result.stderr and "secret" not in result.output  # the password is never printed


@pytest.mark.parametrize(
    "url",
    ["postgresql://app:s3cr#et@db/ops", "mysql://app:s3cr/et?@db/ops", "postgresql://app:s3cret@db:5432/ops?ssl=1"],
)
def test_a_password_is_never_shown_in_a_settings_error(url: str) -> None:
    """pydantic's error echoed the refused value, and a password with "#", "/" or "?" slipped past the mask."""
    from pydantic import ValidationError

    from ops.config import Settings, hide_password

    assert "s3cr" not in hide_password(url) and hide_password(url).startswith(url.split(":")[0] + "://app:***@")
    with pytest.raises(ValidationError) as refused:
        Settings(database_url=url)
    assert "s3cr" not in str(refused.value)
