"""API shapes of assignment: agents and their status."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from ops import bounds


class AgentOut(msgspec.Struct):
    id: int
    name: str
    contract: str
    position: str | None
    skills: dict[str, int]
    status: str
    status_reason: str | None
    status_since: datetime | None
    capacity: int
    open_count: int
    idle_since: datetime | None
    last_assigned_at: datetime | None


class AgentStatusIn(bounds.Bounded, forbid_unknown_fields=True):
    status: Literal["available", "busy", "break", "offline"]
    position: str | None = None
    reason: str | None = None  # a break's reason: a code of the contract's break_reasons


class AgentStatusForceIn(bounds.Bounded, forbid_unknown_fields=True):
    """A supervisor's change of an agent's status: `note` says why (kept in the agent's events)."""

    status: Literal["available", "busy", "break", "offline"]
    note: str
    reason: str | None = None


class AgentEventOut(msgspec.Struct):
    at: datetime
    actor: str
    before: dict[str, Any]
    after: dict[str, Any]
    note: str | None
