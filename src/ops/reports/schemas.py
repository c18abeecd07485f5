"""API shapes of the reports domain: delivered reports and their sends (every attempt included)."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec


class DeliveredOut(msgspec.Struct):
    id: int
    delivery: str
    period_start: date
    period_end: date
    format: str
    filename: str
    size: int
    sha256: str
    data_cutoff: str
    created_at: str
    summary: dict[str, Any]
    download: str


class AttemptOut(msgspec.Struct):
    at: str
    ok: bool
    error: str | None


class SendOut(msgspec.Struct):
    id: int
    delivery: str
    period_start: date
    period_end: date
    channel: str
    target: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    sent_at: str | None
    attempt_log: list[AttemptOut]
