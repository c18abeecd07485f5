"""What every billing test may ask for: `ops`, the command line run on the test's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.integration.billing.indices.conftest import Ops


@pytest.fixture
def ops(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ops]:
    from ops.config import get_settings

    monkeypatch.setenv("OPS_DATABASE_URL", database_url)
    monkeypatch.setenv("OPS_REPORTS_DIR", str(tmp_path / "reports"))
    get_settings.cache_clear()
    yield Ops(CliRunner(), database_url)
    get_settings.cache_clear()
