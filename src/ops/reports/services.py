"""SLA report services: read a contract's interval stats and tickets for a period, and its delivered reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ops.auth import Principal
from ops.calendars import Calendar
from ops.contracts.document import from_document
from ops.contracts.models import Contract, Queue
from ops.contracts.schemas import ContractFile
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import NotFoundError
from ops.queues.models import Ticket
from ops.reports.inputs import (
    ReportInputs,
    check_period,
    clock_minutes,
    interval_frame,
    local_bounds,
    queue_info,
    ticket_frame,
)
from ops.reports.models import ReportSend, StoredReport
from ops.reports.report import ReportData, compute
from ops.staffing.history.intervals import COUNT_COLUMNS, SUM_COLUMNS
from ops.staffing.history.models import IntervalStat


async def load_inputs(
    session: AsyncSession,
    *,
    contract: Contract,
    start: date,
    end: date,
    cutoff: datetime | None = None,
    history_weeks: int = 8,
    trend_months: int = 0,
) -> ReportInputs:
    """Read the interval stats and tickets of `contract` for local dates start..end (inclusive); with
    `trend_months`, also the intervals of that many months before `start` and the money of the reports stored for
    them (the executive summary's trend)."""
    check_period(start, end)
    cutoff = cutoff or utcnow()
    document = from_document(contract.document)
    begin, finish = local_bounds(contract.timezone, start, end)
    queues = {q.id: q for q in contract.queues}
    intervals = await _intervals(session, queues, begin, finish)
    history = earlier = None
    history_from = begin - timedelta(weeks=history_weeks)
    earlier_money: dict[str, dict[str, str | None]] = {}
    if trend_months:
        first = months_before(start, trend_months)
        trend_from = local_bounds(contract.timezone, first, first)[0]
        earlier = await _intervals(session, queues, min(trend_from, history_from), begin)
        if history_weeks:  # one read serves both
            history = earlier[earlier["interval_start"] >= pd.Timestamp(history_from)].reset_index(drop=True)
        earlier = earlier[earlier["interval_start"] >= pd.Timestamp(trend_from)].reset_index(drop=True)
        earlier_money = await _stored_money(session, contract=contract, first=first, before=start)
    elif history_weeks:
        history = await _intervals(session, queues, history_from, begin)
    tickets = await _tickets(session, contract, queues, document, begin, finish, cutoff)
    return ReportInputs(
        contract=document,
        queues=queue_info(document),
        period_start=start,
        period_end=end,
        data_cutoff=cutoff,
        intervals=intervals,
        tickets=tickets,
        history=history,
        earlier=earlier,
        earlier_money=earlier_money,
    )


def months_before(day: date, months: int) -> date:
    """The first day of the month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


async def _stored_money(
    session: AsyncSession, *, contract: Contract, first: date, before: date
) -> dict[str, dict[str, str | None]]:
    """Penalties, bonuses and the invoice adjustment of the whole-month reports stored for the months from `first`
    to the one before `before` ("YYYY-MM" -> amounts as text), the newest stored one of each month."""
    query = (
        select(StoredReport.period_start, StoredReport.period_end, StoredReport.summary)
        .where(
            StoredReport.contract_id == contract.id,
            StoredReport.period_start >= first,
            StoredReport.period_end < before,
        )
        .order_by(StoredReport.created_at, StoredReport.id)
    )
    out: dict[str, dict[str, str | None]] = {}
    for start, end, summary in (await session.execute(query)).all():
        if start.day != 1 or (end + timedelta(days=1)).day != 1 or start.month != end.month:
            continue  # a week or a day: not a month's money
        money = summary or {}
        out[f"{start:%Y-%m}"] = {k: money.get(k) for k in ("penalties", "bonuses", "adjustment")}
    return out


async def _intervals(
    session: AsyncSession, queues: Mapping[int, Queue], begin: datetime, finish: datetime
) -> pd.DataFrame:
    cols = [getattr(IntervalStat, c) for c in (*COUNT_COLUMNS, *SUM_COLUMNS)]
    query = (
        select(
            IntervalStat.queue_id,
            IntervalStat.interval_start,
            *cols,
            IntervalStat.staffed_seconds,
            IntervalStat.answer_within_seconds,
        )
        .where(
            IntervalStat.queue_id.in_(list(queues)),
            IntervalStat.interval_start >= begin,
            IntervalStat.interval_start < finish,
        )
        .order_by(IntervalStat.queue_id, IntervalStat.interval_start)
    )
    rows = (await session.execute(query)).all()
    return interval_frame(
        [(queues[r[0]].code, *r[1:]) for r in rows],
    )


async def _tickets(
    session: AsyncSession,
    contract: Contract,
    queues: Mapping[int, Queue],
    document: ContractFile,
    begin: datetime,
    finish: datetime,
    cutoff: datetime,
) -> pd.DataFrame:
    """Tickets created in the period, plus those created before it and still open at its start
    (they make up the backlog), as the ticket frame of ops.reports.metrics."""
    from ops.contracts.models import Reason

    query = (
        select(Ticket, Reason.code)
        .outerjoin(Reason, Reason.id == Ticket.reason_id)
        .where(
            Ticket.contract_id == contract.id,
            Ticket.created_at < finish,
            (Ticket.created_at >= begin) | Ticket.resolved_at.is_(None) | (Ticket.resolved_at >= begin),
        )
        .order_by(Ticket.id)
    )
    until = min(cutoff, finish)  # a running clock is late until the report's end (or the cut-off, if earlier)
    infos = {q.code: q for q in queue_info(document)}
    calendars = {qid: Calendar.from_dict(q.calendar) for qid, q in queues.items()}
    records = []
    for ticket, reason in (await session.execute(query)).all():
        queue = queues.get(ticket.queue_id)
        if queue is None:
            continue
        info = infos.get(queue.code)
        targets = info.ticket_targets.get(ticket.priority) if info else None
        cal = calendars[ticket.queue_id]
        records.append(
            {
                "queue": queue.code,
                "created_at": ticket.created_at,
                "first_response_at": ticket.first_response_at,
                "resolved_at": ticket.resolved_at,
                "first_response_minutes": clock_minutes(
                    cal,
                    ticket.created_at,
                    ticket.first_response_at,
                    ticket.first_response_minutes,
                    ticket.first_response_due,
                    ticket.first_response_breached,
                    targets[0] if targets else None,
                    cutoff,
                    until,
                ),
                "resolution_minutes": clock_minutes(
                    cal,
                    ticket.created_at,
                    ticket.resolved_at,
                    ticket.resolution_minutes,
                    ticket.resolution_due,
                    ticket.resolution_breached,
                    targets[1] if targets else None,
                    cutoff,
                    until,
                ),
                "first_response_target": float(targets[0]) if targets else np.nan,
                "resolution_target": float(targets[1]) if targets else np.nan,
                "status": ticket.status,
                "protocol": ticket.protocol,
                "priority": ticket.priority,
                "critical": bool(ticket.critical),
                "reason": reason or "",
                "first_response_due": ticket.first_response_due,
                "resolution_due": ticket.resolution_due,
                "closed_at": ticket.closed_at,
            }
        )
    return ticket_frame(records)


# --- the report ------------------------------------------------------------------------------------


async def sla_report(
    session: AsyncSession,
    *,
    code: str,
    start: date,
    end: date,
    principal: Principal | None,
    cutoff: datetime | None = None,
) -> ReportData:
    """The SLA report of contract `code` for local dates start..end (inclusive)."""
    contract = await get_contract(session, code=code, principal=principal)
    inputs = await load_inputs(session, contract=contract, start=start, end=end, cutoff=cutoff, trend_months=6)
    return compute(inputs)


# --- delivered reports ----------------------------------------------------------------------------


async def list_delivered(session: AsyncSession, *, code: str, principal: Principal | None) -> list[StoredReport]:
    """The contract's stored reports, newest period first."""
    contract = await get_contract(session, code=code, principal=principal)
    query = (
        select(StoredReport)
        .where(StoredReport.contract_id == contract.id)
        .order_by(StoredReport.period_end.desc(), StoredReport.delivery, StoredReport.format)
    )
    return list((await session.execute(query)).scalars())


async def get_delivered(
    session: AsyncSession, *, code: str, report_id: int, principal: Principal | None
) -> StoredReport:
    contract = await get_contract(session, code=code, principal=principal)
    row = await session.get(StoredReport, report_id)
    if row is None or row.contract_id != contract.id:
        raise NotFoundError(f"no report {report_id} for contract {code!r}")
    return row


async def list_sends(session: AsyncSession, *, code: str, principal: Principal | None) -> list[ReportSend]:
    """Every send of the contract's deliveries with its attempts, newest first."""
    contract = await get_contract(session, code=code, principal=principal)
    query = (
        select(ReportSend)
        .where(ReportSend.contract_id == contract.id)
        .options(selectinload(ReportSend.attempt_log))
        .order_by(ReportSend.id.desc())
    )
    return list((await session.execute(query)).scalars())
