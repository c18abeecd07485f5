"""Contract services: load a contract file (idempotent, with a change log), read and export it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ops.auth import Principal
from ops.contracts.document import checksum, diff, plain, to_document, to_yaml
from ops.contracts.models import Client, Contract, ContractChange, Queue, Reason
from ops.contracts.schemas import ContractFile, LoadResult
from ops.db import utcnow
from ops.errors import ConflictError, NotFoundError


async def load_contract(session: AsyncSession, *, contract: ContractFile, source: str, actor: str) -> LoadResult:
    """Create or update the contract from a validated file. The same file twice changes nothing."""
    document = to_document(contract)
    digest = checksum(document)
    existing = (
        await session.execute(
            select(Contract)
            .where(Contract.code == contract.code)
            .options(selectinload(Contract.queues).selectinload(Queue.reasons))
        )
    ).scalar_one_or_none()
    if existing is not None and existing.checksum == digest:
        return LoadResult(code=contract.code, status="unchanged", changes=[])

    client = (await session.execute(select(Client).where(Client.code == contract.client.code))).scalar_one_or_none()
    if client is None:
        client = Client(code=contract.client.code, name=contract.client.name)
        session.add(client)
    client.name = contract.client.name

    if existing is None:
        row = Contract(code=contract.code, queues=[])
        session.add(row)
        changes: list[dict[str, Any]] = [{"path": "", "before": None, "after": "created"}]
        status = "created"
    else:
        row = existing
        await _refuse_dropping_used(session, existing, contract)
        changes = diff(existing.document, document)
        status = "updated"

    row.client = client
    row.object = contract.object
    row.value = contract.value
    row.currency = contract.currency
    row.signed_on = contract.signed_on
    row.starts_on = contract.starts_on
    row.ends_on = contract.ends_on
    row.readjustment_index = contract.readjustment.index
    row.anniversary = contract.readjustment.anniversary
    row.timezone = contract.timezone
    row.document = document
    row.checksum = digest
    row.updated_at = utcnow()
    _sync_queues(row, contract)
    await session.flush()
    session.add(ContractChange(contract_id=row.id, changed_by=actor, source=source, changes=changes))
    await session.flush()
    return LoadResult(code=contract.code, status=status, changes=changes)  # type: ignore[arg-type]


async def _refuse_dropping_used(session: AsyncSession, row: Contract, contract: ContractFile) -> None:
    """A queue or reason that tickets or call history point at cannot leave the contract: deleting it would
    break those rows (or, through ON DELETE CASCADE, silently drop the queue's history)."""
    from ops.queues.models import Ticket
    from ops.staffing.history.models import IntervalStat

    kept = {q.code: {r.code for r in q.reasons} for q in contract.queues}
    dropped_queues = [q for q in row.queues if q.code not in kept]
    dropped_reasons = [r for q in row.queues if q.code in kept for r in q.reasons if r.code not in kept[q.code]]
    problems: list[dict[str, str]] = []
    for queue in dropped_queues:
        tickets = await session.scalar(select(func.count()).where(Ticket.queue_id == queue.id))
        history = await session.scalar(select(func.count()).where(IntervalStat.queue_id == queue.id))
        if tickets or history:
            problems.append(
                {
                    "field": f"queues.{queue.code}",
                    "problem": f"removed, but {tickets} tickets and {history} "
                    "interval rows belong to it: keep it in the file (base_positions: 0 retires it)",
                }
            )
    for reason in dropped_reasons:
        tickets = await session.scalar(select(func.count()).where(Ticket.reason_id == reason.id))
        if tickets:
            problems.append(
                {
                    "field": f"queues.{reason.queue.code}.reasons.{reason.code}",
                    "problem": f"removed, but {tickets} tickets have this reason: keep it in the file",
                }
            )
    if problems:
        raise ConflictError(
            f"contract {row.code!r}: " + "; ".join(f"{p['field']} {p['problem']}" for p in problems), extra=problems
        )


def _sync_queues(row: Contract, contract: ContractFile) -> None:
    # Update queues and reasons in place by code: tickets point at their ids, so never recreate them.
    by_code = {q.code: q for q in row.queues}
    keep: list[Queue] = []
    for pos, q in enumerate(contract.queues):
        queue = by_code.get(q.code) or Queue(code=q.code, reasons=[])
        queue.name, queue.kind, queue.channel, queue.position = q.name, q.kind, q.channel, pos
        queue.base_positions = q.base_positions
        queue.calendar = contract.calendars[q.calendar] if isinstance(q.calendar, str) else q.calendar
        doc = plain(q)
        queue.sla, queue.routing = doc["sla"], doc.get("routing", {})
        reasons = {r.code: r for r in queue.reasons}
        new_reasons: list[Reason] = []
        for rpos, r in enumerate(q.reasons):
            reason = reasons.get(r.code) or Reason(code=r.code)
            rdoc = plain(r)
            reason.name, reason.position, reason.technical = r.name, rpos, r.technical
            reason.procedure, reason.fields = list(r.procedure), rdoc.get("fields", [])
            new_reasons.append(reason)
        queue.reasons = new_reasons
        keep.append(queue)
    row.queues = keep


async def get_contract(session: AsyncSession, *, code: str, principal: Principal | None) -> Contract:
    row = (
        await session.execute(
            select(Contract)
            .where(Contract.code == code)
            .options(selectinload(Contract.queues).selectinload(Queue.reasons))
        )
    ).scalar_one_or_none()
    if row is None or (principal is not None and not principal.may_see(row.id)):
        raise NotFoundError(f"no contract {code!r}")
    return row


async def list_contracts(session: AsyncSession, *, principal: Principal) -> list[Contract]:
    query = select(Contract).order_by(Contract.code)
    if principal.contract_id is not None:
        query = query.where(Contract.id == principal.contract_id)
    return list((await session.execute(query)).scalars())


async def export_contract(session: AsyncSession, *, code: str) -> str:
    row = await get_contract(session, code=code, principal=None)
    return to_yaml(row.document)


async def contract_changes(session: AsyncSession, *, code: str, principal: Principal | None) -> list[ContractChange]:
    row = await get_contract(session, code=code, principal=principal)
    query = select(ContractChange).where(ContractChange.contract_id == row.id).order_by(ContractChange.id)
    return list((await session.execute(query)).scalars())
