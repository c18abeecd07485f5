"""The input window comes from the settings when a process opens its runtime (API, worker, scheduler, CLI)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest

from ops import bounds
from ops.config import Settings
from ops.runtime import open_runtime


@pytest.fixture(autouse=True)
def restore_window() -> Iterator[None]:
    yield
    bounds.set_window(bounds.Window())


def test_the_window_is_the_settings() -> None:
    settings = Settings(
        database_url="sqlite+aiosqlite:///:memory:", input_earliest=date(1990, 1, 1), input_future_years=2
    )
    runtime = open_runtime(settings)
    asyncio.run(runtime.engine.dispose())
    assert bounds.window() == bounds.Window(date(1990, 1, 1), 2)
    assert bounds.date_problem(date(1995, 6, 1)) is None
    assert bounds.date_problem(date(1989, 12, 31)) is not None
