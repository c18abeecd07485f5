"""Agents and positions: creating an agent with its skills and token, reading them, and changing an
agent's status, by the agent or forced by a supervisor with a reason (a break names the contract's break
reason; going offline gives its tickets back; becoming available asks for pushes)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal, issue_token
from ops.contracts.models import Contract, Queue
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError, NotFoundError, Said
from ops.l10n import N_
from ops.queues.assignment.push import request_push, return_to_pool
from ops.queues.assignment.refusals import Refusal
from ops.queues.models import Agent, AgentEvent, Position, Ticket

AGENT_STATUSES = ("available", "busy", "break", "offline")
_SKILL = re.compile(r"^\s*([a-z0-9_-]+)\s*(?::\s*(\d+))?\s*$")


def parse_skills(text: str) -> dict[str, int]:
    """`care,bo_care:2` -> {"care": 1, "bo_care": 2}: queue codes with a level, 1 (primary) by default."""
    skills: dict[str, int] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        match = _SKILL.match(part)
        if match is None or (match[2] is not None and int(match[2]) < 1):
            raise ValueError(f"skills: {part.strip()!r} is not QUEUE or QUEUE:LEVEL with a level of 1 or more")
        skills[match[1]] = int(match[2] or 1)
    if not skills:
        raise ValueError("skills: name at least one queue")
    return skills


async def create_agent(
    session: AsyncSession,
    *,
    contract_code: str,
    name: str,
    skills: Mapping[str, int],
    capacity: int = 3,
    position_code: str | None = None,
    supervisor: bool = False,
) -> tuple[Agent, str]:
    """Create an agent signed to a position carrying `skills` (created, or updated to these skills)
    and an agent token for it; the token is returned in clear, the only time it is visible."""
    contract = (await session.execute(select(Contract).where(Contract.code == contract_code))).scalar_one_or_none()
    if contract is None:
        raise NotFoundError(f"no contract {contract_code!r}")
    known = set((await session.execute(select(Queue.code).where(Queue.contract_id == contract.id))).scalars())
    unknown = sorted(set(skills) - known)
    if unknown:
        raise InvalidInputError(
            f"skills: unknown queue {unknown[0]!r} (queues of {contract_code}: {', '.join(sorted(known))})",
            extra=[{"field": "skills", "problem": f"unknown queue {q!r}"} for q in unknown],
        )
    if capacity < 1:
        raise InvalidInputError("capacity must be at least 1", extra=[{"field": "capacity", "problem": "< 1"}])
    if not name.strip():
        raise InvalidInputError("name must not be empty", extra=[{"field": "name", "problem": "empty"}])
    bounds.refuse([("name", p)] if (p := bounds.text_problem(name, max_length=200)) is not None else [])
    same = (
        await session.execute(
            select(Agent.id).where(Agent.contract_id == contract.id, func.lower(Agent.name) == name.strip().lower())
        )
    ).scalar()
    if same is not None:  # a command run twice made a second agent and gave the first one's position new skills
        raise ConflictError(
            f"agent {same} of {contract_code} is named {name.strip()!r} already: give this one another name "
            f"(a new token for agent {same}: ops agent token {same})"
        )
    code = position_code or "pos-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "agent")
    position = (
        await session.execute(select(Position).where(Position.contract_id == contract.id, Position.code == code))
    ).scalar_one_or_none()
    if position is None:
        position = Position(contract_id=contract.id, code=code[:50], skills=dict(skills))
        session.add(position)
    else:
        position.skills = dict(skills)
    await session.flush()
    agent = Agent(
        contract_id=contract.id,
        name=name.strip(),
        position_id=position.id,
        status="offline",
        capacity=capacity,
        open_count=0,
        supervisor=supervisor,
    )
    session.add(agent)
    await session.flush()
    token = await issue_token(
        session, name=f"agent:{agent.name}", role="agent", contract_id=contract.id, agent_id=agent.id
    )
    return agent, token


async def agent_token(session: AsyncSession, *, agent_id: int, expires_in: timedelta | None = None) -> str:
    """A fresh token for an agent (an agent's token lasts about a shift: one per shift, or as the site decides)."""
    agent = await get_agent(session, agent_id=agent_id)
    return await issue_token(
        session,
        name=f"agent:{agent.name}",
        role="agent",
        contract_id=agent.contract_id,
        agent_id=agent.id,
        expires_in=expires_in,
    )


async def get_agent(session: AsyncSession, *, agent_id: int) -> Agent:
    agent = await session.get(Agent, agent_id)
    if agent is None:
        raise NotFoundError(f"no agent {agent_id}")
    return agent


async def agent_skills(session: AsyncSession, agent: Agent) -> dict[str, int]:
    if agent.position_id is None:
        return {}
    position = await session.get(Position, agent.position_id)
    return dict(position.skills) if position is not None else {}


async def list_agents(session: AsyncSession, *, contract_id: int | None) -> list[tuple[Agent, Position | None]]:
    query = select(Agent, Position).outerjoin(Position, Agent.position_id == Position.id).order_by(Agent.id)
    if contract_id is not None:
        query = query.where(Agent.contract_id == contract_id)
    return [(a, p) for a, p in (await session.execute(query)).tuples()]


async def break_reasons(session: AsyncSession, *, contract_id: int) -> list[dict[str, Any]]:
    """The contract's break reasons (code, name, max_minutes) as its file lists them."""
    contract = await session.get(Contract, contract_id)
    return list((contract.document or {}).get("break_reasons") or []) if contract is not None else []


async def _check_reason(session: AsyncSession, agent: Agent, status: str, reason: str | None) -> str | None:
    """The break reason to keep: one of the contract's on a break (when it lists any), none otherwise."""
    reason = (reason or "").strip() or None
    if status != "break":
        if reason is not None:
            raise Refusal(N_("Only a break takes a reason."), status=422, field="reason")
        return None
    codes = [str(r.get("code")) for r in await break_reasons(session, contract_id=agent.contract_id)]
    if not codes and reason is None:
        return None  # a contract without break reasons: a break needs none
    if reason is None:
        raise Refusal(N_("Say why: choose the break's reason."), status=422, field="reason")
    if reason not in codes:
        raise Refusal(
            N_("{reason} is not a break reason of the contract ({allowed})."),
            status=422,
            field="reason",
            reason=reason,
            allowed=", ".join(codes) or "—",
        )
    return reason


async def set_status(
    session: AsyncSession,
    *,
    agent_id: int,
    status: str,
    position_code: str | None = None,
    reason: str | None = None,
    actor: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Agent:
    """Change an agent's status (and sign it in to a position). A break names one of the contract's break
    reasons; the change is an AgentEvent (who, when, from, to, why) and the status's start is kept for its
    timer. Going offline returns its open tickets to the pool; becoming available asks for waiting tickets
    to be pushed (after commit)."""
    now = now or utcnow()
    if status not in AGENT_STATUSES:
        raise InvalidInputError(
            Said(N_("status: choose available, busy, break or offline")),
            extra=[{"field": "status", "problem": f"{status!r} is not one of {', '.join(AGENT_STATUSES)}"}],
        )
    agent = await get_agent(session, agent_id=agent_id)
    kept_reason = await _check_reason(session, agent, status, reason)
    if position_code is not None:
        position = (
            await session.execute(
                select(Position).where(Position.contract_id == agent.contract_id, Position.code == position_code)
            )
        ).scalar_one_or_none()
        if position is None:
            raise InvalidInputError(
                Said(N_("no position {position}"), {"position": repr(position_code)}),
                extra=[{"field": "position", "problem": "unknown position"}],
            )
        agent.position_id = position.id
    if status != "offline" and agent.position_id is None:
        raise ConflictError(Said(N_("Sign in to a position first (the position field)")))
    before, before_reason = agent.status, agent.status_reason
    changed = (before, before_reason) != (status, kept_reason)
    agent.status, agent.status_reason = status, kept_reason
    if changed or agent.status_since is None:
        agent.status_since = now
    if status == "available" and before != "available":
        agent.idle_since = agent.idle_since or now
    if changed or note:
        session.add(
            AgentEvent(
                agent_id=agent.id,
                at=now,
                actor=actor or f"agent:{agent.name} #{agent.id}",
                before={"status": before, "reason": before_reason},
                after={"status": status, "reason": kept_reason},
                note=(note or "").strip() or None,
            )
        )
    await session.flush()
    if status == "offline" and before != "offline":
        held = (
            await session.execute(select(Ticket).where(Ticket.assigned_agent_id == agent.id, Ticket.status == "open"))
        ).scalars()
        for ticket in list(held):
            await return_to_pool(session, ticket=ticket, actor=f"agent:{agent.id}", action="released", now=now)
    if status == "available":
        await request_push(session, agent)
    return agent


async def force_status(
    session: AsyncSession,
    *,
    principal: Principal,
    agent_id: int,
    status: str,
    reason: str | None,
    note: str | None,
    now: datetime | None = None,
) -> Agent:
    """A supervisor sets an agent's status, saying why (the note is required and kept in the agent's events)."""
    agent = await session.get(Agent, agent_id)
    if agent is None or not principal.may_see(agent.contract_id):
        raise NotFoundError(f"no agent {agent_id}")
    if not (note or "").strip():
        raise Refusal(N_("Say why you change this agent's status."), status=422, field="note")
    if len(note or "") > 500:
        raise Refusal(N_("Keep the reason under 500 characters."), status=422, field="note")
    name = principal.name.removeprefix(f"{principal.role}:")
    return await set_status(
        session, agent_id=agent_id, status=status, reason=reason, actor=f"{principal.role}:{name}", note=note, now=now
    )


async def agent_events(session: AsyncSession, *, agent_id: int, limit: int = 50) -> list[AgentEvent]:
    """An agent's status changes, newest first."""
    query = select(AgentEvent).where(AgentEvent.agent_id == agent_id).order_by(AgentEvent.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def open_counts(session: AsyncSession, *, contract_id: int) -> dict[int, int]:
    """Tickets assigned per agent, counted from the tickets (to check `Agent.open_count`)."""
    rows = await session.execute(
        select(Ticket.assigned_agent_id, func.count())
        .where(Ticket.contract_id == contract_id, Ticket.assigned_agent_id.is_not(None))
        .where(Ticket.status.not_in(("resolved", "closed")))
        .group_by(Ticket.assigned_agent_id)
    )
    return {a: int(n) for a, n in rows.tuples() if a is not None}
