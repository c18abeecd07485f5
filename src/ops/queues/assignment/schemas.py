"""API shapes of assignment: agents and their status."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from ops import bounds


class AgentOut(msgspec.Struct):
    id: int
    name: str
    contract: str
    position: str | None
    skills: dict[str, int]
    status: str
    capacity: int
    open_count: int
    idle_since: datetime | None
    last_assigned_at: datetime | None


class AgentStatusIn(bounds.Bounded, forbid_unknown_fields=True):
    status: Literal["available", "busy", "break", "offline"]
    position: str | None = None
