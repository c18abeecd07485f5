"""What a ticket's news means to an agent's page: the notices, who did it, and the news's round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops.queues.assignment.strategies import giveback_at, giveback_warning_due
from ops.queues.live.notices import TicketNews, actor_agent, actor_name, changed_under, notice_for


def news(action: str, *, assignee: int | None = 7, previous: int | None = None, **extra: object) -> TicketNews:
    return TicketNews(
        ticket_id=1,
        action=action,
        actor=str(extra.pop("actor", "system:push")),
        at="2026-03-02T12:00:00+00:00",
        contract_id=1,
        queue_code="bo_care",
        protocol="20260302000001",
        version=int(str(extra.pop("version", 3))),
        assignee=assignee,
        previous=previous,
        after=dict(extra),
    )


def test_a_push_is_a_notice_to_its_agent_only_and_a_pull_is_none() -> None:
    assert notice_for(news("assigned", how="longest_idle"), agent_id=7) == "pushed"
    assert notice_for(news("assigned", how="longest_idle"), agent_id=8) is None
    assert notice_for(news("assigned", how="pull", actor="agent:Ana #7"), agent_id=7) is None
    assert notice_for(news("assigned"), agent_id=None) is None


def test_losing_a_ticket_is_told_unless_the_agent_did_it() -> None:
    assert (
        notice_for(news("given_back", assignee=None, previous=7, actor="system:giveback"), agent_id=7) == "given_back"
    )
    assert notice_for(news("released", assignee=None, previous=7, actor="agent:Ana #7"), agent_id=7) is None
    gone = news("transfer", assignee=None, previous=7, actor="supervisor:Carla Lima #2")
    assert notice_for(gone, agent_id=7) == "transferred"
    assert notice_for(news("transfer", assignee=None, previous=7, actor="agent:Ana #7"), agent_id=7) is None


def test_warnings_links_and_breaches_of_the_agents_own_tickets() -> None:
    assert notice_for(news("giveback_warning", giveback_at="2026-03-02T12:05:00+00:00"), agent_id=7) == (
        "giveback_warning"
    )
    assert notice_for(news("linked_incident", actor="intake:outage"), agent_id=7) == "linked"
    assert notice_for(news("sla_breach", actor="system:sla"), agent_id=7) == "breached"
    assert notice_for(news("sla_breach", actor="system:sla"), agent_id=9) is None


def test_actors_in_words() -> None:
    assert actor_name("agent:Ana Souza #3") == "Ana Souza"
    assert actor_agent("agent:Ana Souza #3") == 3
    assert actor_name("supervisor:Carla Lima") == "Carla Lima"
    assert actor_name("system:giveback") is None and actor_name("intake:outage") is None


def test_changed_under_a_reader_is_a_newer_version_by_someone_else() -> None:
    theirs = news("note", actor="supervisor:Carla Lima #2", version=4)
    assert changed_under(theirs, ticket_id=1, version=3, agent_id=7, actor="agent:Ana #7")
    assert not changed_under(theirs, ticket_id=1, version=4, agent_id=7, actor="agent:Ana #7")
    assert not changed_under(theirs, ticket_id=2, version=3, agent_id=7, actor="agent:Ana #7")
    assert not changed_under(theirs, ticket_id=1, version=3, agent_id=2, actor="supervisor:Carla Lima #2")


def test_news_round_trips_as_json() -> None:
    sent = news("giveback_warning", giveback_at="2026-03-02T12:05:00+00:00")
    assert TicketNews.from_json(sent.to_json()) == sent


def test_the_giveback_warning_comes_within_its_minutes_before_the_giveback_only() -> None:
    assigned = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert giveback_at(assigned, None, 30) == assigned + timedelta(minutes=30)
    assert giveback_at(assigned, assigned + timedelta(minutes=10), 30) == assigned + timedelta(minutes=40)
    assert giveback_at(assigned, None, None) is None and giveback_at(assigned, None, 0) is None
    at = assigned + timedelta(minutes=30)
    assert giveback_warning_due(assigned, None, at - timedelta(minutes=6), 30, 5) is None
    assert giveback_warning_due(assigned, None, at - timedelta(minutes=5), 30, 5) == at
    assert giveback_warning_due(assigned, None, at - timedelta(seconds=1), 30, 5) == at
    assert giveback_warning_due(assigned, None, at, 30, 5) is None  # due: the give-back itself says it
