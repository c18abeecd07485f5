"""Fixtures of the work tests: the app's database used straight from the test (no HTTP client)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar

from ops.jobs.queue import wait_for_flushes


@pytest.fixture
async def wdb(app: Litestar) -> AsyncIterator[Any]:
    """The app's sessionmaker for service-level tests. Jobs deferred by the services run in this
    test's event loop, so wait for them and close the engine here rather than in the app's lifespan."""
    sessionmaker = app.state.sessionmaker
    yield sessionmaker
    await wait_for_flushes()
    await app.state.job_queue.drain()
    await sessionmaker.kw["bind"].dispose()
