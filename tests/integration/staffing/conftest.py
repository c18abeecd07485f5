"""Fixtures of the staffing tests: the app's database straight from the test, closed at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from ops.jobs.queue import wait_for_flushes
from tests.integration.staffing.synthetic import interval_csv, interval_rows


@pytest.fixture
async def sdb(app: Litestar) -> AsyncIterator[Any]:
    """The app's sessionmaker for service-level tests; jobs they defer are awaited and the engine closed here,
    since no HTTP client runs the app's lifespan."""
    sessionmaker = app.state.sessionmaker
    yield sessionmaker
    await wait_for_flushes()
    await app.state.job_queue.drain()
    await sessionmaker.kw["bind"].dispose()


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "intervals.csv"
    rows = interval_rows(date(2026, 2, 2), 35, queues={"care": 1.0, "helpdesk": 0.8})
    path.write_text(interval_csv(rows), encoding="utf-8")
    return path
