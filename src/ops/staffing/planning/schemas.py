"""The staffing API's shapes: plan and what-if requests, and a saved plan (with its progress while computing)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec


class PlanRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Compute and save the plan of the week starting on `week`; `background` answers 202 at once."""

    week: date
    oncall: bool = False
    background: bool = False


class WhatIfRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Volume and AHT changes in percent (+10 = 10 % more) and an SL target for every voice queue."""

    week: date
    volume_pct: float = 0.0
    aht_pct: float = 0.0
    target: float | None = None
    oncall: bool = False


class PlanOut(msgspec.Struct):
    """A saved plan. While `status` is queued or running, `progress` says how far it got and `result` is null."""

    contract: str
    week: date
    status: str
    created_at: datetime
    cost: Decimal
    lp_bound: Decimal | None
    params: dict[str, Any]
    progress: dict[str, Any] | None = None
    error: str | None = None
    result: dict[str, Any] | None = None
