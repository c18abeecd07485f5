"""Contract services: load a contract file (idempotent, with a change log), read and export it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ops.auth import Principal
from ops.contracts.document import checksum, diff, plain, to_document, to_yaml
from ops.contracts.models import Client, Contract, ContractChange, Queue, Reason
from ops.contracts.schemas import ContractFile, LoadResult
from ops.db import blocking_references, describe_references, utcnow
from ops.errors import ConflictError, NotFoundError


async def load_contract(
    session: AsyncSession, *, contract: ContractFile, source: str, actor: str, retry: bool = True
) -> LoadResult:
    """Create or update the contract from a validated file. The same file twice changes nothing.

    Two loads of one new contract at once (two API workers) both find no row: the unique codes of the contract
    and its client decide, inside a savepoint, and the loser loads again onto the winner's row (unchanged when it
    is the same file) instead of failing with the database's error."""
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
    try:
        async with session.begin_nested():
            row, changes = await _write_contract(session, existing, contract, document, digest)
    except IntegrityError:
        if not retry:
            raise ConflictError(
                f"contract {contract.code!r} was changed by another load at the same time: load it again",
                extra=[{"field": "code", "problem": "loaded concurrently by another request"}],
            ) from None
        return await load_contract(session, contract=contract, source=source, actor=actor, retry=False)
    await _sync_or_refuse(session, row, contract)
    session.add(ContractChange(contract_id=row.id, changed_by=actor, source=source, changes=changes))
    await session.flush()
    status = "created" if existing is None else "updated"
    return LoadResult(code=contract.code, status=status, changes=changes)  # type: ignore[arg-type]


async def _write_contract(
    session: AsyncSession, existing: Contract | None, contract: ContractFile, document: dict[str, Any], digest: str
) -> tuple[Contract, list[dict[str, Any]]]:
    """The contract's own row (and its client's), flushed: a concurrent creation fails here, on a unique code."""
    client = (await session.execute(select(Client).where(Client.code == contract.client.code))).scalar_one_or_none()
    if client is None:
        client = Client(code=contract.client.code, name=contract.client.name)
        session.add(client)
    client.name = contract.client.name

    if existing is None:
        row = Contract(code=contract.code, queues=[])
        session.add(row)
        changes: list[dict[str, Any]] = [{"path": "", "before": None, "after": "created"}]
    else:
        row = existing
        changes = diff(existing.document, document)

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
    await session.flush()
    return row, changes


async def _sync_or_refuse(session: AsyncSession, row: Contract, contract: ContractFile) -> None:
    """Apply the file's queues and reasons. A queue or reason that history points at (tickets, interval
    statistics) cannot leave the contract: the database refuses the deletion (ON DELETE RESTRICT), and the
    refusal names what uses each one."""
    code = row.code
    kept = {q.code: {r.code for r in q.reasons} for q in contract.queues}
    dropped_queues = [(q.id, q.code) for q in row.queues if q.code not in kept]
    dropped_reasons = [
        (r.id, f"{q.code}.reasons.{r.code}")
        for q in row.queues
        if q.code in kept
        for r in q.reasons
        if r.code not in kept[q.code]
    ]
    try:
        async with session.begin_nested():
            _sync_queues(row, contract)
            await session.flush()
    except IntegrityError:
        problems: list[dict[str, str]] = []
        for table, dropped, advice in (
            (Queue.__table__, dropped_queues, "keep it in the file (base_positions: 0 retires it)"),
            (Reason.__table__, dropped_reasons, "keep it in the file"),
        ):
            for item_id, path in dropped:
                used = await blocking_references(session, [(table, [item_id])])
                if used:
                    problems.append(
                        {
                            "field": f"queues.{path}",
                            "problem": f"removed, but {describe_references(used)} use it: {advice}",
                        }
                    )
        if not problems:  # no history blocks it: another load changed the same queues at the same moment
            problems.append({"field": "queues", "problem": "changed by another load at the same time: load it again"})
        raise ConflictError(
            f"contract {code!r}: " + "; ".join(f"{p['field']} {p['problem']}" for p in problems), extra=problems
        ) from None


async def delete_contract(session: AsyncSession, *, code: str) -> None:
    """Delete a contract and its configuration (queues, reasons, agents, tokens, change log), only while no
    history refers to it: tickets, interval statistics, incidents, plans or delivered reports keep it, and the
    refusal names them. A contract with history is retired by its end date, never deleted."""
    row = await get_contract(session, code=code, principal=None)
    owned = (
        (Contract.__table__, [row.id]),
        (Queue.__table__, [q.id for q in row.queues]),
        (Reason.__table__, [r.id for q in row.queues for r in q.reasons]),
    )
    try:
        async with session.begin_nested():
            await session.delete(row)
            await session.flush()
    except IntegrityError:
        used = await blocking_references(session, owned)
        problem = f"has history ({describe_references(used)}): a contract with history is never deleted"
        raise ConflictError(
            f"contract {code!r} {problem}; nothing was removed", extra=[{"field": "code", "problem": problem}]
        ) from None


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


async def contract_language(session: AsyncSession, code: str) -> str:
    """The contract's language (pt-BR, es-AR, en): how its files write numbers. NotFoundError when there is none."""
    document = (await session.execute(select(Contract.document).where(Contract.code == code))).scalar_one_or_none()
    if document is None:
        raise NotFoundError(f"unknown contract {code!r}")
    return str(document.get("language") or "pt-BR")


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
