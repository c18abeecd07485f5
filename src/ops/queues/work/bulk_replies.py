"""The supervisor's bulk canned reply: one of the contract's canned replies, chosen by its title, sent on each
selected ticket with its placeholders filled from that ticket. A ticket whose reason has no reply of that title,
or that cannot fill one of its placeholders yet, is refused naming why; `bulk.run_bulk` keeps the others."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.contracts.models import Contract, Reason
from ops.l10n import N_
from ops.queues.assignment.refusals import Refusal
from ops.queues.models import Ticket
from ops.queues.work.actions import act
from ops.queues.work.replies import CannedReply, fill, parse_canned_replies, placeholder_values, unresolved

ACTION = "reply"


def contract_replies(document: Mapping[str, Any] | None) -> list[CannedReply]:
    """Every canned reply of a contract file (`work.canned_replies`), as the loader checked them."""
    work = (document or {}).get("work")
    section = work.get("canned_replies") if isinstance(work, Mapping) else None
    if not isinstance(section, Mapping):
        return []
    return parse_canned_replies(section, {str(reason) for reason in section})


def reply_titles(document: Mapping[str, Any] | None) -> list[str]:
    """The titles a supervisor may pick, each once, in the file's order (one title may serve several reasons)."""
    return list(dict.fromkeys(r.title for r in contract_replies(document)))


async def send_canned_reply(
    session: AsyncSession, principal: Principal, ticket: Ticket, args: Mapping[str, str], now: datetime
) -> None:
    """Reply on `ticket` with the canned reply titled `args["reply"]` of the ticket's reason, filled from it."""
    title = (args.get("reply") or "").strip()
    contract = await session.get(Contract, ticket.contract_id)
    reason = await session.get(Reason, ticket.reason_id) if ticket.reason_id is not None else None
    chosen = next(
        (
            r
            for r in contract_replies(contract.document if contract is not None else None)
            if reason is not None and r.reason == reason.code and r.title == title
        ),
        None,
    )
    if chosen is None:
        raise Refusal(
            N_("Ticket {protocol}: its reason has no canned reply “{reply}”."),
            status=422,
            field="reply",
            protocol=ticket.protocol,
            reply=title,
        )
    text = fill(chosen.text, placeholder_values(ticket.customer or {}, ticket.protocol, ticket.fields or {}))
    left = unresolved(text)
    if left:
        raise Refusal(
            N_("Ticket {protocol}: the reply needs {placeholders}, which the ticket does not have yet."),
            status=422,
            field="reply",
            protocol=ticket.protocol,
            placeholders=", ".join("{" + p + "}" for p in left),
        )
    await act(
        session, ticket_id=ticket.id, action="reply", principal=principal, version=ticket.version, message=text, now=now
    )
