"""Helpers of the report tests: the Anonymous Bank slice counted into queue `care` of the reference contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from ops.contracts.models import Contract, Queue
from ops.staffing.calllog import aggregate_calls, read_anonymous_bank
from ops.staffing.models import IntervalStat
from tests.helpers import load_reference

FIXTURES = Path(__file__).parents[2] / "fixtures"
SLICE = FIXTURES / "anonymous_bank_1999_02_12-14_calls.csv"


def slice_intervals(queue: str = "care", timezone: str = "America/Sao_Paulo") -> pd.DataFrame:
    return aggregate_calls(read_anonymous_bank(SLICE), queue=queue, timezone=timezone)


async def store_intervals(db: Any, frame: pd.DataFrame, *, contract: str = "reference", source: str = "test") -> None:
    """Insert an interval table (ops.staffing.calllog.INTERVAL_COLUMNS) as IntervalStat rows."""
    async with db.begin() as session:
        ids = dict(
            (await session.execute(select(Queue.code, Queue.id).join(Contract).where(Contract.code == contract))).all()
        )
        staffed = "staffed_seconds" in frame.columns
        session.add_all(
            IntervalStat(
                queue_id=ids[r["queue"]],
                interval_start=r["interval_start"].to_pydatetime(),
                offered=int(r["offered"]),
                answered=int(r["answered"]),
                answered_within=int(r["answered_within"]),
                abandoned=int(r["abandoned"]),
                abandoned_within=int(r["abandoned_within"]),
                short_abandons=int(r["short_abandons"]),
                handle_seconds=float(r["handle_seconds"]),
                wait_seconds=float(r["wait_seconds"]),
                staffed_seconds=float(r["staffed_seconds"]) if staffed else None,
                answer_within_seconds=20,
                source=source,
            )
            for r in frame.to_dict("records")
        )


@pytest.fixture
async def live(client: Any) -> Any:
    """The app started and stopped through its lifespan, so that its engine is disposed after the test."""
    return client


@pytest.fixture
async def reference(db: Any, live: Any) -> Any:
    """The reference contract with the Anonymous Bank slice (12-14 Feb 1999) in queue care."""
    await load_reference(db)
    await store_intervals(db, slice_intervals())
    return db
