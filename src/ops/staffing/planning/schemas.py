"""The staffing API's shapes: plan and what-if requests, and a saved plan (with its progress while computing)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from ops import bounds


class PlanRequest(bounds.Bounded, forbid_unknown_fields=True):
    """Compute and save the plan of the week starting on `week` (a Monday); `background` answers 202 at once."""

    __weeks__ = frozenset({"week"})

    week: date
    oncall: bool = False
    background: bool = False


class WhatIfRequest(bounds.Bounded, forbid_unknown_fields=True):
    """Volume and AHT changes in percent (+10 = 10 % more, -100 to 1000) and an SL target in percent for every
    voice queue (85 = 85 % answered within the contract's time; above 0, below 100), for the week starting on
    `week` (a Monday). Every figure in percent, as a planner types it."""

    __weeks__ = frozenset({"week"})

    week: date
    volume_pct: bounds.Percent = 0.0
    aht_pct: bounds.Percent = 0.0
    target_pct: float | None = None
    oncall: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.target_pct is not None and (problem := bounds.target_percent_problem(self.target_pct)):
            raise ValueError(f"{bounds.BOUND_MARK}target_pct: {problem}")

    @property
    def target(self) -> float | None:
        """The target as the share the planner's Erlang C works with (85 -> 0.85)."""
        return None if self.target_pct is None else self.target_pct / 100


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


class OnCallIn(bounds.Bounded, forbid_unknown_fields=True):
    """An on-call shift to record: ISO times with their UTC offset, at most 14 days, 1 to 50 specialists."""

    __multiline__ = frozenset({"note"})

    start: datetime
    end: datetime
    specialists: int = 1
    note: str | None = None


class OnCallEndIn(bounds.Bounded, forbid_unknown_fields=True):
    """End the shift early at `at` (after its start, not after its scheduled end)."""

    at: datetime


class OnCallOut(msgspec.Struct):
    """A recorded on-call shift (times in the contract's zone) and the hours it bills per specialist:
    `periods` one figure per 24 hours from its start, each at least its local day's minimum; `hours` their sum;
    `specialist_hours` = hours × specialists."""

    id: int
    contract: str
    start: datetime
    scheduled_end: datetime
    ended_at: datetime | None
    specialists: int
    note: str | None
    created_at: datetime
    created_by: str
    ended_by: str | None
    periods: list[Decimal]
    hours: Decimal
    specialist_hours: Decimal


class ShiftIn(bounds.Bounded, forbid_unknown_fields=True):
    """A reinforcement shift worked but not in the saved plan: a queue code (or a blend "care+helpdesk"),
    ISO times with their offset inside the week, and how many agents worked it."""

    queue: str
    start: datetime
    end: datetime
    agents: int = 1


class ExecutionIn(bounds.Bounded, forbid_unknown_fields=True):
    """`skip`: indexes (from 0, as the saved plan lists them) of the plan's shifts not worked; `add`: shifts
    worked beyond the plan."""

    skip: list[int] = msgspec.field(default_factory=list)
    add: list[ShiftIn] = msgspec.field(default_factory=list)


class ExecutedShiftOut(msgspec.Struct):
    id: int
    queue: str
    start: datetime
    end: datetime
    agents: int
    origin: str  # plan | added


class ExecutionOut(msgspec.Struct):
    """The week as confirmed executed: who confirmed it and when, what changed from the plan, the shifts billed."""

    contract: str
    week: date
    confirmed_at: datetime
    confirmed_by: str
    changes: dict[str, Any]
    shifts: list[ExecutedShiftOut]
