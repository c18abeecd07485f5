"""Mass outages: grouping a burst of technical tickets from one area under one incident, and working it.

Intake calls `link_outage` for each new technical ticket; staff list incidents, move their forecast
end and resolve them, which resolves every open ticket linked to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from ops import bounds
from ops.auth import Principal
from ops.contracts.models import Contract
from ops.db import utcnow
from ops.errors import InvalidInputError, NotFoundError, Said
from ops.l10n import N_
from ops.queues.assignment import push
from ops.queues.intake.outage import OutageIncident, TicketSignal, detect, find_incident, forecast_end
from ops.queues.intake.rules import Intake
from ops.queues.models import Incident, Ticket, TicketEvent
from ops.queues.sla.sync import refresh_clocks

CLOSED_STATUSES = ("resolved", "closed")


@dataclass(frozen=True, slots=True)
class Arrival:
    """What outage grouping needs of a stored technical ticket."""

    ticket_id: int
    area_key: str | None
    created_at: datetime
    area_label: str | None


def arrival_of(ticket: Ticket | Mapping[str, Any]) -> Arrival:
    """The arrival of a stored ticket, or of the column values of one inserted without an ORM object."""
    row = (
        ticket
        if isinstance(ticket, Mapping)
        else {n: getattr(ticket, n) for n in ("id", "area_key", "created_at", "customer")}
    )
    return Arrival(row["id"], row["area_key"], row["created_at"], (row["customer"] or {}).get("area"))


async def link_outage(
    session: AsyncSession, *, intake: Intake, ticket: Arrival, now: datetime
) -> tuple[Incident | None, list[int]]:
    """Link a technical ticket to its area's open incident, or open one when it completes a burst
    of `outage.threshold` technical tickets within `outage.window_minutes`: the incident and the
    ids of the tickets linked now."""
    if not ticket.area_key:
        return None, []
    rules = intake.rules
    signal = TicketSignal(ticket.ticket_id, ticket.area_key, ticket.created_at, technical=True)
    incidents = (
        await session.execute(
            select(Incident).where(
                Incident.contract_id == intake.contract_id, Incident.area == ticket.area_key, Incident.status == "open"
            )
        )
    ).scalars()
    by_id = {i.id: i for i in incidents}
    found = find_incident([OutageIncident(i.id, i.area, i.opened_at) for i in by_id.values()], signal)
    if found is not None:
        await _link(session, [ticket.ticket_id], by_id[found], now)
        return by_id[found], [ticket.ticket_id]
    technical_ids = [rid for (_q, code), rid in intake.reason_ids.items() if code in rules.technical_reasons]
    window = timedelta(minutes=rules.outage_window_minutes)
    recent = (
        await session.execute(
            select(Ticket.id, Ticket.area_key, Ticket.created_at).where(
                Ticket.contract_id == intake.contract_id,
                Ticket.area_key == ticket.area_key,
                Ticket.incident_id.is_(None),
                Ticket.reason_id.in_(technical_ids),
                Ticket.status.not_in(CLOSED_STATUSES),
                Ticket.created_at >= ticket.created_at - window,
                Ticket.created_at <= ticket.created_at + window,
                Ticket.id != ticket.ticket_id,
            )
        )
    ).tuples()
    signals = [TicketSignal(i, a, c, technical=True) for i, a, c in recent]
    group = detect(signals, signal, threshold=rules.outage_threshold, window_minutes=rules.outage_window_minutes)
    if not group:
        return None, []
    opened = min([s.created_at for s in signals if s.ticket_id in group] + [ticket.created_at])
    display = ticket.area_label or ticket.area_key
    incident = Incident(
        contract_id=intake.contract_id,
        area=ticket.area_key,
        status="open",
        opened_at=opened,
        forecast_end=forecast_end(opened, rules.outage_forecast_hours),
        note=f"{len(group)} technical tickets from {display} within {rules.outage_window_minutes:g} minutes",
    )
    session.add(incident)
    await session.flush()
    await _link(session, group, incident, now)
    return incident, group


async def _link(session: AsyncSession, ticket_ids: list[int], incident: Incident, now: datetime) -> None:
    await session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ticket_ids), Ticket.incident_id.is_(None))
        .values(incident_id=incident.id, version=Ticket.version + 1)
        .execution_options(synchronize_session=False)
    )
    # Tickets of this transaction already in the session (the new one, a bulk batch) see the link.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Ticket) and obj.id in ticket_ids and obj.incident_id is None:
            set_committed_value(obj, "incident_id", incident.id)
            set_committed_value(obj, "version", obj.version + 1)
    session.add_all(
        TicketEvent(
            ticket_id=tid,
            at=now,
            actor="intake:outage",
            action="linked_incident",
            before={"incident_id": None},
            after={"incident_id": incident.id, "forecast_end": _iso(incident.forecast_end)},
        )
        for tid in ticket_ids
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def list_incidents(
    session: AsyncSession, *, principal: Principal, status: str | None = None
) -> list[tuple[Incident, str, int]]:
    """Incidents the caller may see, newest first, with their contract code and ticket count."""
    count = select(func.count()).where(Ticket.incident_id == Incident.id).correlate(Incident).scalar_subquery()
    query = (
        select(Incident, Contract.code, count)
        .join(Contract, Contract.id == Incident.contract_id)
        .order_by(Incident.opened_at.desc(), Incident.id.desc())
    )
    if principal.contract_id is not None:
        query = query.where(Incident.contract_id == principal.contract_id)
    if status:
        query = query.where(Incident.status == status)
    return [(i, c, int(n)) for i, c, n in (await session.execute(query)).tuples()]


async def get_incident(session: AsyncSession, *, incident_id: int, principal: Principal) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None or not principal.may_see(incident.contract_id):
        raise NotFoundError(Said(N_("no incident {incident}"), {"incident": str(incident_id)}))
    return incident


async def extend_incident(
    session: AsyncSession, *, incident_id: int, principal: Principal, forecast_end: datetime
) -> Incident:
    """Move the forecast end the customers are told (an outage often lasts longer than hoped)."""
    incident = await get_incident(session, incident_id=incident_id, principal=principal)
    if incident.status != "open":
        raise InvalidInputError(
            Said(N_("incident is resolved")), extra=[{"field": "forecast_end", "problem": "incident resolved"}]
        )
    if (problem := bounds.date_problem(forecast_end)) is not None:
        raise InvalidInputError(
            Said(N_("forecast_end is outside the dates accepted")),
            extra=[{"field": "forecast_end", "problem": problem}],
        )
    if forecast_end.tzinfo is None or forecast_end <= incident.opened_at:
        raise InvalidInputError(
            Said(N_("forecast_end must be an aware time after the opening")),
            extra=[{"field": "forecast_end", "problem": "needs a time zone and must be after opened_at"}],
        )
    incident.forecast_end = forecast_end
    await session.flush()
    return incident


async def resolve_incident(
    session: AsyncSession, *, incident_id: int, principal: Principal, actor: str, now: datetime | None = None
) -> tuple[Incident, int]:
    """End an outage: the incident and every ticket linked to it still open are resolved together,
    their agents freed and their SLA clocks stopped (the resolution meets the first response and
    the resolution deadline, or records their breach). Resolving twice changes nothing the second time."""
    now = now or utcnow()
    incident = await get_incident(session, incident_id=incident_id, principal=principal)
    if incident.status != "open":
        return incident, 0
    incident.status, incident.resolved_at = "resolved", now
    tickets = (
        await session.execute(
            select(Ticket).where(Ticket.incident_id == incident.id, Ticket.status.not_in(CLOSED_STATUSES))
        )
    ).scalars()
    count = 0
    for ticket in list(tickets):
        before = {"status": ticket.status}
        ticket.status, ticket.resolved_at, ticket.version = "resolved", now, ticket.version + 1
        ticket.first_response_at = ticket.first_response_at or now
        if ticket.assigned_agent_id is not None:
            await push.release_agent(session, agent_id=ticket.assigned_agent_id, now=now)
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor=actor,
                action="resolved",
                before=before,
                after={"status": "resolved", "incident_id": incident.id},
                note=f"mass outage {incident.id} ended",
            )
        )
        await refresh_clocks(session, ticket=ticket, now=now)
        count += 1
    await session.flush()
    return incident, count
