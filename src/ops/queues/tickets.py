"""Reading tickets: one or a filtered list of those the caller may see, and their API views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.contracts.models import Contract, Queue, Reason
from ops.errors import NotFoundError
from ops.http import to_struct
from ops.queues.intake.rules import Intake
from ops.queues.models import Incident, Ticket
from ops.queues.schemas import IncidentRef, TicketOut


async def get_ticket(session: AsyncSession, *, ticket_id: int, principal: Principal | None) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or (principal is not None and not principal.may_see(ticket.contract_id)):
        raise NotFoundError(f"no ticket {ticket_id}")
    return ticket


async def list_tickets(
    session: AsyncSession,
    *,
    principal: Principal,
    contract_code: str | None = None,
    queue_code: str | None = None,
    status: str | None = None,
    flagged: bool | None = None,
    limit: int = 100,
) -> list[Ticket]:
    """Tickets the caller may see, most urgent first."""
    query = select(Ticket).order_by(Ticket.sort_key.desc(), Ticket.id).limit(max(1, min(limit, 1000)))
    if principal.contract_id is not None:
        query = query.where(Ticket.contract_id == principal.contract_id)
    if contract_code:
        query = query.join(Contract, Contract.id == Ticket.contract_id).where(Contract.code == contract_code)
    if queue_code:
        query = query.join(Queue, Queue.id == Ticket.queue_id).where(Queue.code == queue_code)
    if status:
        query = query.where(Ticket.status == status)
    if flagged is not None:
        query = query.where(Ticket.flagged.is_(flagged))
    return list((await session.execute(query)).scalars())


async def ticket_views(session: AsyncSession, tickets: Sequence[Ticket]) -> list[TicketOut]:
    """API views of tickets: one lookup for the whole list (queue, contract and reason codes), and one for
    their incidents if any is linked."""
    if not tickets:
        return []
    codes = {
        ticket_id: (queue, contract, reason)
        for ticket_id, queue, contract, reason in (
            await session.execute(
                select(Ticket.id, Queue.code, Contract.code, Reason.code)
                .join(Queue, Queue.id == Ticket.queue_id)
                .join(Contract, Contract.id == Ticket.contract_id)
                .outerjoin(Reason, Reason.id == Ticket.reason_id)
                .where(Ticket.id.in_({t.id for t in tickets}))
            )
        ).tuples()
    }
    incident_ids = {t.incident_id for t in tickets if t.incident_id is not None}
    incidents: dict[int, Incident] = {}
    if incident_ids:
        found = (await session.execute(select(Incident).where(Incident.id.in_(incident_ids)))).scalars()
        incidents = {i.id: i for i in found}
    views = []
    for t in tickets:
        queue, contract, reason = codes[t.id]
        reasons = {} if reason is None or t.reason_id is None else {t.reason_id: reason}
        views.append(_view(t, (queue, contract), reasons, incidents))
    return views


def view_of(ticket: Ticket | Mapping[str, Any], intake: Intake, incidents: dict[int, Incident]) -> TicketOut:
    """The view of a ticket stored in this transaction (the row or its values), with no query."""
    t = SimpleNamespace(**ticket) if isinstance(ticket, Mapping) else ticket
    return _view(t, (intake.queue_codes[t.queue_id], intake.rules.code), intake.reason_codes, incidents)


def view_with_codes(
    ticket: Mapping[str, Any], *, queue: str, contract: str, reason: str | None, incident: Incident | None
) -> TicketOut:
    """The view of a ticket row whose codes the caller already has (a claim returned them with the row)."""
    t = SimpleNamespace(**ticket)
    reasons = {} if reason is None or t.reason_id is None else {t.reason_id: reason}
    return _view(t, (queue, contract), reasons, {} if incident is None else {incident.id: incident})


def _view(t: Any, queue: tuple[str, str], reasons: dict[int, str], incidents: dict[int, Incident]) -> TicketOut:
    incident = incidents.get(t.incident_id) if t.incident_id is not None else None
    return to_struct(
        TicketOut,
        t,
        contract=queue[1],
        queue=queue[0],
        reason=reasons.get(t.reason_id) if t.reason_id is not None else None,
        incident=None if incident is None else to_struct(IncidentRef, incident),
    )
