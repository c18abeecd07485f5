"""Push assignment: which agent gets a ticket, skill-level overflow, and give-back of idle tickets.

Skill levels: 1 is an agent's primary skill for the queue. A ticket may go to level L once it has
waited `(L - 1) * overflow_after_minutes`: level 2 after one overflow wait, level 3 after two.
The lowest level with a free agent always wins, so overflow never takes work from primary agents
who can do it. Ties break by agent id, so the same state always gives the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Strategy = Literal["longest_idle", "fewest_open", "round_robin"]
AgentStatus = Literal["available", "busy", "break", "offline"]
STRATEGIES: tuple[Strategy, ...] = ("longest_idle", "fewest_open", "round_robin")


@dataclass(frozen=True, slots=True)
class AgentState:
    """An agent as seen from one queue. `idle_since`: when it last got or finished work (None:
    never, which counts as idle longest)."""

    agent_id: int
    status: str
    open_count: int
    capacity: int
    skill_level: int
    idle_since: datetime | None = None

    @property
    def free(self) -> bool:
        return self.status == "available" and self.open_count < self.capacity


def max_skill_level(waited_minutes: float, overflow_after_minutes: float | None) -> int:
    """The highest skill level a ticket that has waited this long may go to."""
    if overflow_after_minutes is None:
        return 1
    if overflow_after_minutes <= 0:
        # No overflow wait configured as zero: every level may help at once, primaries still first.
        return 1_000_000
    return 1 + max(0, int(waited_minutes // overflow_after_minutes))


def overflow_cutoff(now: datetime, skill_level: int, overflow_after_minutes: float | None) -> datetime | None:
    """Tickets queued at or before this instant may go to an agent of `skill_level` (for SQL
    filters when an agent frees up); None when that level never gets this queue's tickets."""
    if skill_level <= 1:
        return now
    if overflow_after_minutes is None:
        return None
    return now - timedelta(minutes=max(0.0, overflow_after_minutes) * (skill_level - 1))


def _longest_idle_key(agent: AgentState) -> tuple[bool, datetime, int]:
    # Never-assigned agents sort first by the flag, so the stand-in `datetime.min` is only ever
    # compared with itself, never with a zone-aware time.
    if agent.idle_since is None:
        return (False, datetime.min, agent.agent_id)
    return (True, agent.idle_since, agent.agent_id)


def pick_agent(
    agents: Sequence[AgentState],
    *,
    strategy: Strategy,
    waited_minutes: float,
    overflow_after_minutes: float | None,
    cursor: int | None = None,
) -> int | None:
    """The agent to push a ticket to, or None when nobody may take it now.

    `cursor` is the last agent this queue's round robin chose: the next one is the lowest id above
    it, wrapping around. Store the returned id as the new cursor.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (allowed: {', '.join(STRATEGIES)})")
    ceiling = max_skill_level(waited_minutes, overflow_after_minutes)
    free = [a for a in agents if a.free and 1 <= a.skill_level <= ceiling]
    if not free:
        return None
    level = min(a.skill_level for a in free)
    pool = [a for a in free if a.skill_level == level]
    if strategy == "longest_idle":
        return min(pool, key=_longest_idle_key).agent_id
    if strategy == "fewest_open":
        return min(pool, key=lambda a: (a.open_count, a.agent_id)).agent_id
    ids = sorted(a.agent_id for a in pool)
    if cursor is None:
        return ids[0]
    return next((i for i in ids if i > cursor), ids[0])


def due_for_giveback(
    assigned_at: datetime, last_activity_at: datetime | None, now: datetime, giveback_minutes: float | None
) -> bool:
    """Whether an assigned ticket goes back to the pool: its assignee did nothing on it for
    `giveback_minutes` since assignment or the last activity. None or <= 0 disables give-back."""
    if giveback_minutes is None or giveback_minutes <= 0:
        return False
    since = assigned_at if last_activity_at is None else max(assigned_at, last_activity_at)
    return now - since >= timedelta(minutes=giveback_minutes)


def giveback_at(
    assigned_at: datetime, last_activity_at: datetime | None, giveback_minutes: float | None
) -> datetime | None:
    """When an assigned ticket left alone goes back to the pool (None: never)."""
    if giveback_minutes is None or giveback_minutes <= 0:
        return None
    since = assigned_at if last_activity_at is None else max(assigned_at, last_activity_at)
    return since + timedelta(minutes=giveback_minutes)


def giveback_warning_due(
    assigned_at: datetime,
    last_activity_at: datetime | None,
    now: datetime,
    giveback_minutes: float | None,
    ahead_minutes: float,
) -> datetime | None:
    """The give-back time to warn the assignee of now: within `ahead_minutes` of it and not yet reached (the
    give-back itself then says the rest); None when there is nothing to warn of."""
    moment = giveback_at(assigned_at, last_activity_at, giveback_minutes)
    if moment is None or not now < moment <= now + timedelta(minutes=ahead_minutes):
        return None
    return moment
