"""Helpers of the report tests: the Anonymous Bank slice counted into queue `care` of the reference contract."""

from __future__ import annotations

import email
import email.policy
import gc
import socket
import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from ops.contracts.models import Contract, Queue
from ops.staffing.history.calllog import count_call_log
from ops.staffing.history.models import IntervalStat
from tests.conftest import FIXTURES
from tests.helpers import load_reference

SLICE = FIXTURES / "anonymous_bank_1999_02_12-14_calls.csv"


def slice_intervals(queue: str = "care", timezone: str = "America/Sao_Paulo") -> pd.DataFrame:
    return count_call_log(SLICE, fmt="anonymous-bank", queue=queue, timezone=timezone).intervals


async def store_intervals(db: Any, frame: pd.DataFrame, *, contract: str = "reference", source: str = "test") -> None:
    """Insert an interval table (ops.staffing.history.intervals.INTERVAL_COLUMNS) as IntervalStat rows."""
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        # aiosmtpd leaves its listening socket to the garbage collector: collect it here, quietly,
        # so that its ResourceWarning does not land in whichever test runs next.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            controller.stop()
            gc.collect()
