"""One action over many tickets at once (assign, transfer; more register themselves, such as a canned reply):
each ticket in its own savepoint, so a refused one leaves nothing behind and the others are kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal
from ops.contracts.models import Queue
from ops.db import utcnow
from ops.errors import DomainError, NotFoundError, Said
from ops.l10n import N_
from ops.queues.assignment.direct import assign_to
from ops.queues.assignment.refusals import Refusal
from ops.queues.models import Ticket
from ops.queues.work.actions import act

# (session, caller, ticket, the form's other values, now) -> None; raises a DomainError to refuse this ticket.
BulkAction = Callable[[AsyncSession, Principal, Ticket, Mapping[str, str], datetime], Awaitable[None]]
MAX_TICKETS = 200


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str, DomainError]] = field(default_factory=list)  # ticket id, protocol, why


async def _assign(
    session: AsyncSession, principal: Principal, ticket: Ticket, args: Mapping[str, str], now: datetime
) -> None:
    await assign_to(session, ticket_id=ticket.id, agent_id=int(args["agent"]), principal=principal, now=now)


async def _transfer(
    session: AsyncSession, principal: Principal, ticket: Ticket, args: Mapping[str, str], now: datetime
) -> None:
    # The refusals a batch meets most, worded for the page; `act` checks everything again.
    code = (args.get("queue") or "").strip()
    queue = (
        await session.execute(select(Queue).where(Queue.contract_id == ticket.contract_id, Queue.code == code))
    ).scalar_one_or_none()
    if queue is None:
        raise Refusal(N_("{queue} is not a queue of this contract."), status=422, field="queue", queue=code)
    if queue.id == ticket.queue_id:
        raise Refusal(N_("Ticket {protocol} is already in {queue}."), protocol=ticket.protocol, queue=queue.name)
    if ticket.status not in ("new", "open"):
        raise Refusal(
            N_("Ticket {protocol} is not waiting or open: it cannot be transferred."), protocol=ticket.protocol
        )
    await act(
        session,
        ticket_id=ticket.id,
        action="transfer",
        principal=principal,
        version=ticket.version,
        queue=args.get("queue"),
        message=(args.get("message") or "").strip() or None,
        now=now,
    )


BULK_ACTIONS: dict[str, BulkAction] = {"assign": _assign, "transfer": _transfer}


def register_bulk_action(name: str, action: BulkAction) -> None:
    """Add an action to the supervisor's bulk form (the canned reply plugs in here)."""
    BULK_ACTIONS[name] = action


async def run_bulk(
    session: AsyncSession,
    *,
    principal: Principal,
    action: str,
    ticket_ids: Sequence[int],
    args: Mapping[str, str],
    now: datetime | None = None,
) -> BulkResult:
    """Do `action` to each ticket the caller sees; what one ticket refuses is reported, the rest kept."""
    now = now or utcnow()
    handler = BULK_ACTIONS[action]
    result = BulkResult()
    for ticket_id in ticket_ids:
        ticket = await session.get(Ticket, ticket_id) if 0 < ticket_id <= bounds.MAX_ID else None  # no row is larger
        if ticket is None or principal.role == "client" or not principal.may_see(ticket.contract_id):
            result.refused.append(
                (ticket_id, str(ticket_id), NotFoundError(Said(N_("no ticket {ticket}"), {"ticket": str(ticket_id)})))
            )
            continue
        try:
            async with session.begin_nested():
                await handler(session, principal, ticket, args, now)
        except DomainError as exc:
            await session.refresh(ticket)
            result.refused.append((ticket_id, ticket.protocol, exc))
            continue
        result.done.append(ticket_id)
    return result
