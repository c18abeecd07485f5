"""HTTP endpoints of assignment: agents, their status, and pulling the next ticket of a queue."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops import openapi
from ops.auth import STAFF, Principal, requires
from ops.contracts.models import Contract
from ops.db import statements_commit_alone
from ops.errors import NotFoundError
from ops.http import to_struct
from ops.idempotency.middleware import OPT as IDEMPOTENCY_KEY
from ops.queues import tickets
from ops.queues.assignment import agents, pull
from ops.queues.assignment.schemas import AgentEventOut, AgentOut, AgentStatusForceIn, AgentStatusIn
from ops.queues.models import Agent, Incident, Position
from ops.queues.schemas import TicketOut


def _agent_id(principal: Principal) -> int:
    if principal.agent_id is None:
        raise PermissionDeniedException("this needs an agent token")
    return principal.agent_id


async def _contract_codes(session: AsyncSession, contract_ids: set[int]) -> dict[int, str]:
    # The codes alone: a contract's row carries its whole document (a JSON of every queue, price and rule), which
    # loading the row would decode on every call of an agent's page.
    rows = await session.execute(select(Contract.id, Contract.code).where(Contract.id.in_(contract_ids)))
    return dict(rows.tuples().all())


async def _agent_out(
    session: AsyncSession, agent: Agent, position: Position | None = None, codes: dict[int, str] | None = None
) -> AgentOut:
    if position is None and agent.position_id is not None:
        position = await session.get(Position, agent.position_id)
    if codes is None:
        codes = await _contract_codes(session, {agent.contract_id})
    code = codes.get(agent.contract_id)
    return to_struct(
        AgentOut,
        agent,
        contract=code or "",
        position=position.code if position else None,
        skills=dict(position.skills) if position else {},
    )


class AgentController(Controller):
    path = "/api/agents"
    tags = ("agents",)

    @get("/", operation_id="ListAgents", guards=[requires(*STAFF)])
    async def list_agents(
        self, request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession]
    ) -> list[AgentOut]:
        rows = await agents.list_agents(db_session, contract_id=request.user.contract_id)
        codes = await _contract_codes(db_session, {a.contract_id for a, _p in rows})
        return [await _agent_out(db_session, a, p, codes) for a, p in rows]

    @get("/me", operation_id="GetMyAgent", guards=[requires("agent")])
    async def me(self, request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession]) -> AgentOut:
        agent = await agents.get_agent(db_session, agent_id=_agent_id(request.user))
        return await _agent_out(db_session, agent)

    @put("/me/status", operation_id="SetMyAgentStatus", guards=[requires("agent")])
    async def set_status(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        data: JSONBody[AgentStatusIn],
    ) -> AgentOut:
        """Sign in to a position and set the status: available, busy (no pushes), break, offline
        (open tickets go back to the pool)."""
        agent = await agents.set_status(
            db_session,
            agent_id=_agent_id(request.user),
            status=data.status,
            position_code=data.position,
            reason=data.reason,
        )
        return await _agent_out(db_session, agent)

    @put("/{agent_id:int}/status", operation_id="ForceAgentStatus", guards=[requires("supervisor")])
    async def force_status(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        agent_id: FromPath[int],
        data: JSONBody[AgentStatusForceIn],
    ) -> AgentOut:
        """A supervisor sets an agent's status with a reason (`note`, required); a break names a break reason."""
        agent = await agents.force_status(
            db_session,
            principal=request.user,
            agent_id=agent_id,
            status=data.status,
            reason=data.reason,
            note=data.note,
        )
        return await _agent_out(db_session, agent)

    @get("/{agent_id:int}/events", operation_id="ListAgentEvents", guards=[requires(*STAFF)])
    async def events(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        agent_id: FromPath[int],
    ) -> list[AgentEventOut]:
        """The agent's status changes, newest first: who, when, from, to and why."""
        agent = await db_session.get(Agent, agent_id)
        if agent is None or not request.user.may_see(agent.contract_id):
            raise NotFoundError(f"no agent {agent_id}")
        return [to_struct(AgentEventOut, e) for e in await agents.agent_events(db_session, agent_id=agent_id)]


@post(
    "/api/queues/{queue:str}/next",
    operation_id="NextTicket",
    tags=["agents"],
    guards=[requires("agent")],
    status_code=200,
    # Its claim commits by itself (below), so no stored answer could share its transaction: a retry finds the
    # claimed ticket on the agent's list instead.
    opt={
        **openapi.succeeds(s200="The ticket claimed.", s204="No open ticket the agent may work in the queue."),
        IDEMPOTENCY_KEY: False,
    },
)
async def next_ticket(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], queue: FromPath[str]
) -> Response[TicketOut | None]:
    """Claim the most urgent open ticket of the queue that the calling agent may work (highest
    score, then earliest due); 204 when there is none."""
    # The claim is one statement on PostgreSQL, atomic by itself: no BEGIN and COMMIT around it. What follows only
    # reads, so a failure after it leaves the ticket with the agent, on the agent's list, as a retry would find it.
    await statements_commit_alone(db_session)
    claimed = await pull.claim_next(db_session, agent_id=_agent_id(request.user), queue_code=queue)
    if claimed is None:
        return Response(None, status_code=204)
    incident_id = claimed.ticket["incident_id"]
    incident = None if incident_id is None else await db_session.get(Incident, incident_id)
    view = tickets.view_with_codes(
        claimed.ticket, queue=claimed.queue, contract=claimed.contract, reason=claimed.reason, incident=incident
    )
    return Response(view, status_code=200)


ROUTES: list[Any] = [AgentController, next_ticket]
