"""Push assignment: strategies, capacity, skill-level overflow and give-back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops.queues.assignment.strategies import (
    AgentState,
    Strategy,
    due_for_giveback,
    max_skill_level,
    overflow_cutoff,
    pick_agent,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def agent(
    agent_id: int,
    *,
    status: str = "available",
    open_count: int = 0,
    capacity: int = 3,
    level: int = 1,
    idle_minutes: float | None = 0,
) -> AgentState:
    idle_since = None if idle_minutes is None else NOW - timedelta(minutes=idle_minutes)
    return AgentState(agent_id, status, open_count, capacity, level, idle_since)


def pick(
    agents: list[AgentState],
    strategy: Strategy = "longest_idle",
    waited: float = 0,
    cursor: int | None = None,
) -> int | None:
    return pick_agent(agents, strategy=strategy, waited_minutes=waited, overflow_after_minutes=10, cursor=cursor)


def test_longest_idle_picks_the_agent_free_the_longest() -> None:
    agents = [agent(1, idle_minutes=5), agent(2, idle_minutes=40), agent(3, idle_minutes=12)]
    assert pick(agents, "longest_idle") == 2


def test_longest_idle_prefers_never_assigned_agents_then_lowest_id() -> None:
    assert pick([agent(4, idle_minutes=600), agent(3, idle_minutes=None)], "longest_idle") == 3
    assert pick([agent(9, idle_minutes=7), agent(5, idle_minutes=7)], "longest_idle") == 5


def test_fewest_open_picks_the_least_loaded_agent_ties_by_id() -> None:
    agents = [agent(1, open_count=2), agent(2, open_count=1, idle_minutes=1), agent(3, open_count=1)]
    assert pick(agents, "fewest_open") == 2


def test_round_robin_takes_turns_and_wraps() -> None:
    agents = [agent(30), agent(10), agent(20)]
    chosen: list[int | None] = []
    cursor = None
    for _ in range(4):
        cursor = pick(agents, "round_robin", cursor=cursor)
        chosen.append(cursor)
    assert chosen == [10, 20, 30, 10]


def test_round_robin_skips_agents_who_cannot_take_work() -> None:
    agents = [agent(10), agent(20, status="break"), agent(30, open_count=3)]
    assert pick(agents, "round_robin", cursor=10) == 10


@pytest.mark.parametrize("strategy", ["longest_idle", "fewest_open", "round_robin"])
def test_agents_at_capacity_or_not_available_get_nothing(strategy: Strategy) -> None:
    agents = [
        agent(1, open_count=3, capacity=3, idle_minutes=99),
        agent(2, status="busy", idle_minutes=98),
        agent(3, status="break"),
        agent(4, status="offline"),
        agent(5, capacity=0),
    ]
    assert pick(agents, strategy) is None
    assert pick([*agents, agent(6, open_count=2, capacity=3)], strategy) == 6


def test_primary_skill_agents_come_first_even_after_the_overflow_wait() -> None:
    agents = [agent(1, level=2, idle_minutes=90), agent(2, level=1, idle_minutes=1)]
    assert pick(agents, waited=60) == 2


def test_next_skill_level_helps_only_after_the_overflow_wait() -> None:
    agents = [agent(1, open_count=3), agent(2, level=2), agent(3, level=3)]
    assert pick(agents, waited=9.9) is None
    assert pick(agents, waited=10) == 2
    assert pick([agents[0], agents[2]], waited=15) is None
    assert pick([agents[0], agents[2]], waited=20) == 3


def test_overflow_settings() -> None:
    assert max_skill_level(1000, None) == 1
    assert max_skill_level(0, 0) > 5
    assert overflow_cutoff(NOW, 1, 10) == NOW
    assert overflow_cutoff(NOW, 3, 10) == NOW - timedelta(minutes=20)
    assert overflow_cutoff(NOW, 2, None) is None


def test_unknown_strategy_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown strategy"):
        pick_agent([agent(1)], strategy="random", waited_minutes=0, overflow_after_minutes=10)  # type: ignore[arg-type]


def test_idle_assignee_gives_the_ticket_back_after_the_queue_time() -> None:
    assigned = NOW - timedelta(minutes=45)
    assert due_for_giveback(assigned, None, NOW, 30)
    assert not due_for_giveback(assigned, None, NOW, 60)


def test_activity_on_the_ticket_restarts_the_give_back_clock() -> None:
    assigned = NOW - timedelta(minutes=45)
    assert not due_for_giveback(assigned, NOW - timedelta(minutes=10), NOW, 30)
    assert due_for_giveback(assigned, NOW - timedelta(minutes=30), NOW, 30)
    # Activity logged before this assignment (a previous assignee's) does not count.
    assert due_for_giveback(assigned, NOW - timedelta(hours=3), NOW, 30)


def test_give_back_can_be_disabled() -> None:
    long_ago = NOW - timedelta(days=3)
    assert not due_for_giveback(long_ago, None, NOW, None)
    assert not due_for_giveback(long_ago, None, NOW, 0)
