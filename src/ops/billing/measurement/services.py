"""The monthly measurement of a contract: drafted from what was delivered (positions, executed reinforcement,
on-call shifts, time-billed tickets, the SLA report's credits and bonuses, adjustments carried forward), then
submitted to the client, approved or contested line by line, and corrected into a new version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ops import bounds
from ops.auth import Principal
from ops.billing.indices.prices import price_history, price_on
from ops.billing.measurement import lines as L
from ops.billing.measurement.models import BillingAdjustment, Measurement, MeasurementEvent, MeasurementLine
from ops.billing.measurement.periods import Period, measurement_period
from ops.billing.measurement.positions import Change, timelines
from ops.billing.terms import BillingTerms, terms_of
from ops.contracts.document import from_document
from ops.contracts.models import Contract, ContractChange
from ops.contracts.schemas import ContractFile
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError, NotFoundError
from ops.queues.work.time import resolved_time_billed
from ops.reports.models import StoredReport
from ops.reports.report import compute, report_json
from ops.reports.services import load_inputs
from ops.staffing.planning.execution import executed_shifts
from ops.staffing.planning.oncall_requests import oncall_shifts, oncall_terms

EDITABLE = ("draft",)


class PeriodNotOverError(ConflictError):
    """A measurement submitted before its period is over."""

    def __init__(self, month: str, ends_on: date) -> None:
        super().__init__(f"the period of {month} ends on {ends_on}: submit its measurement after that day")
        self.ends_on = ends_on


class OutsideContractError(InvalidInputError):
    """A measurement asked for a period that shares no day with the contract's term."""

    def __init__(self, month: str, period: Period, starts_on: date, ends_on: date) -> None:
        side = "ends before the contract starts" if period.end < starts_on else "starts after the contract ends"
        problem = f"{month} ({period}) {side}: the contract runs {starts_on}..{ends_on}"
        super().__init__(f"month: {problem}", extra=[{"field": "month", "problem": problem}])
        self.starts_on, self.ends_on = starts_on, ends_on


def period_of(terms: BillingTerms, month: str) -> Period:
    try:
        return measurement_period(month, terms.cutoff_day)
    except ValueError as exc:
        raise InvalidInputError(str(exc), extra=[{"field": "month", "problem": str(exc)}]) from None


def local_bounds(period: Period, zone: str) -> tuple[datetime, datetime]:
    """The period's first instant and the instant after its last day, in the contract's time zone."""
    tz = ZoneInfo(zone)
    start = datetime.combine(period.start, datetime.min.time(), tz)
    end = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), tz)
    return start, end


async def _contract(session: AsyncSession, code: str, principal: Principal | None) -> tuple[Contract, ContractFile]:
    contract = await get_contract(session, code=code, principal=principal)
    return contract, from_document(contract.document)


# --- the lines --------------------------------------------------------------------------------------


async def compute_lines(
    session: AsyncSession,
    *,
    contract: Contract,
    document: ContractFile,
    period: Period,
    now: datetime,
    month: str | None = None,
) -> tuple[list[L.Line], str | None, list[int]]:
    """Every line of the period, the SHA-256 of the SLA report its credits came from, and the carried adjustments."""
    terms = terms_of(document)
    begin, finish = local_bounds(period, contract.timezone)
    history = {
        item: await price_history(session, contract=contract, document=document, item=item) for item in _items(document)
    }
    out: list[L.Line] = []
    out += await _position_lines(session, contract, document, terms, period, history.get("position_month"))
    if "reinforcement_hour" in history:
        out += await _reinforcement_lines(session, contract, begin, finish, history["reinforcement_hour"])
    if "oncall_hour" in history:
        out += await _oncall_lines(session, contract, begin, finish, history["oncall_hour"])
    if "ticket_minute" in history and terms.time_billed:
        out += await _ticket_lines(session, contract, document, terms, begin, finish, history["ticket_minute"])
    sla, checksum = await _sla_lines(session, contract, period, now)
    out += sla
    carried, adjustment_ids = await _carried(session, contract, month)
    out += carried
    return out, checksum, adjustment_ids


def _items(document: ContractFile) -> list[str]:
    if document.prices is None:
        return []
    items = ["position_month", "reinforcement_hour", "ticket_minute"]
    return [*items, "oncall_hour"] if document.prices.oncall is not None else items


async def _position_lines(
    session: AsyncSession,
    contract: Contract,
    document: ContractFile,
    terms: BillingTerms,
    period: Period,
    prices: list[tuple[date, Decimal]] | None,
) -> list[L.Line]:
    if prices is None:
        return []
    tz = ZoneInfo(contract.timezone)
    rows = await session.execute(
        select(ContractChange.changed_at, ContractChange.changes)
        .where(ContractChange.contract_id == contract.id)
        .order_by(ContractChange.id)
    )
    loads = [Change(at.astimezone(tz).date(), changes or []) for at, changes in rows.tuples()]
    steps_by_queue = timelines({q.code: q.base_positions for q in document.queues}, loads)
    out = []
    for queue in document.queues:
        steps = steps_by_queue[queue.code]
        if not any(n for _, n in steps):
            continue
        for item in L.position_lines(
            period,
            steps,
            prices,
            proration=terms.proration,
            contract_code=contract.code,
            contract_start=document.starts_on,
            contract_end=document.ends_on,
        ):
            out.append(
                replace(
                    item,
                    description=f"{queue.name}: {item.description}",
                    sources=(*item.sources, f"queue:{queue.code}"),
                    detail={**item.detail, "queue": queue.name},
                )
            )
    return out


async def _reinforcement_lines(
    session: AsyncSession, contract: Contract, begin: datetime, finish: datetime, prices: list[tuple[date, Decimal]]
) -> list[L.Line]:
    tz = ZoneInfo(contract.timezone)
    shifts = await executed_shifts(session, contract_id=contract.id, start=begin, end=finish)
    out: list[L.Line] = []
    for price, group in _by_price(shifts, prices, lambda s: s.start.astimezone(tz).date()):
        out += L.reinforcement_lines(
            [L.ExecutedShift(s.id, s.start.astimezone(tz), s.end.astimezone(tz), s.agents) for s in group], price
        )
    return out


async def _oncall_lines(
    session: AsyncSession,
    contract: Contract,
    begin: datetime,
    finish: datetime,
    prices: list[tuple[date, Decimal]],
) -> list[L.Line]:
    terms = oncall_terms(contract)
    tz = terms.zone
    shifts = await oncall_shifts(session, contract_id=contract.id, start=begin, end=finish)
    if not shifts:
        return []
    # A shift's periods may reach a few days past the month: holidays until its latest end.
    latest = max((s.ended_at or s.scheduled_end) for s in shifts).astimezone(tz).date()
    holidays = terms.holidays(begin.astimezone(tz).date(), latest)
    out: list[L.Line] = []
    for price, group in _by_price(shifts, prices, lambda s: s.start.astimezone(tz).date()):
        local = [
            L.OnCallShift(
                s.id,
                s.start.astimezone(tz),
                s.scheduled_end.astimezone(tz),
                s.ended_at.astimezone(tz) if s.ended_at else None,
                s.specialists,
            )
            for s in group
        ]
        out += L.oncall_lines(
            local, price, holidays, terms.price.minimum_hours_mon_thu, terms.price.minimum_hours_fri_sun_holiday
        )
    return out


async def _ticket_lines(
    session: AsyncSession,
    contract: Contract,
    document: ContractFile,
    terms: BillingTerms,
    begin: datetime,
    finish: datetime,
    prices: list[tuple[date, Decimal]],
) -> list[L.Line]:
    assert document.prices is not None
    tz = ZoneInfo(contract.timezone)
    found = await resolved_time_billed(
        session,
        contract_id=contract.id,
        start=begin,
        end=finish,
        queues=[(t.queue, t.reason) for t in terms.time_billed],
    )
    tickets = [L.TicketTime(t.ticket_id, t.protocol, t.resolved_at.astimezone(tz), t.minutes) for t in found]
    out: list[L.Line] = []
    for price, group in _by_price(tickets, prices, lambda t: t.resolved_at.date()):
        out += L.ticket_time_lines(group, price, document.prices.ticket_minimum_minutes)
    return out


def _by_price(items: Sequence[Any], prices: list[tuple[date, Decimal]], day_of: Any) -> list[tuple[Decimal, list[Any]]]:
    """Items grouped by the price valid on their day (a readjustment inside the period splits them)."""
    groups: dict[Decimal, list[Any]] = {}
    for item in items:
        groups.setdefault(price_on(prices, day_of(item)), []).append(item)
    return list(groups.items())


async def _sla_lines(
    session: AsyncSession, contract: Contract, period: Period, now: datetime
) -> tuple[list[L.Line], str | None]:
    """The SLA report of the same period, computed as the client's report is: its credits and bonuses, with the
    report's checksum (the delivered monthly report's when one covers exactly this period)."""
    inputs = await load_inputs(
        session, contract=contract, start=period.start, end=period.end, cutoff=now, history_weeks=0
    )
    data = compute(inputs)
    if data.statement is None:
        return [], None
    body = json.dumps(report_json(data), sort_keys=True, default=str).encode()
    checksum, report_id = hashlib.sha256(body).hexdigest(), f"sla {period.start}..{period.end}"
    stored = (
        await session.execute(
            select(StoredReport)
            .where(
                StoredReport.contract_id == contract.id,
                StoredReport.period_start == period.start,
                StoredReport.period_end == period.end,
                StoredReport.format == "pdf",
            )
            .order_by(StoredReport.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if stored is not None:
        checksum, report_id = stored.checksum, f"{stored.id} ({stored.delivery} {period.start}..{period.end}, pdf)"
    s = data.statement
    return L.sla_lines(s.adjustment, s.penalties, s.bonuses, report_id, checksum), checksum


async def _carried(session: AsyncSession, contract: Contract, month: str | None) -> tuple[list[L.Line], list[int]]:
    """Adjustments no measurement has taken yet, and those an earlier draft or version of this month took (a
    redraft or a corrected version takes them again; an approved month keeps its own)."""
    this_month = select(Measurement.id).where(Measurement.contract_id == contract.id, Measurement.month == month)
    rows = (
        await session.execute(
            select(BillingAdjustment)
            .where(
                BillingAdjustment.contract_id == contract.id,
                BillingAdjustment.measurement_id.is_(None) | BillingAdjustment.measurement_id.in_(this_month),
            )
            .order_by(BillingAdjustment.id)
        )
    ).scalars()
    out, ids = [], []
    for a in rows:
        sources = [f"adjustment:{a.id}"] + ([f"invoice:{a.corrects_invoice_id}"] if a.corrects_invoice_id else [])
        out.append(
            L.line(
                "adjustment", a.description, Decimal(1), "adjustment", a.amount, tuple(sources), {"text": a.description}
            )
        )
        ids.append(a.id)
    return out, ids


# --- the measurement's life -----------------------------------------------------------------------


async def latest(
    session: AsyncSession, *, contract_id: int, month: str, principal: Principal | None = None
) -> Measurement | None:
    """The month's newest version; for a client's token, the newest one it may see (a draft is not shown)."""
    return (
        await session.execute(
            _seen_by(
                select(Measurement).where(Measurement.contract_id == contract_id, Measurement.month == month), principal
            )
            .options(selectinload(Measurement.lines))
            .order_by(Measurement.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def get_measurement(
    session: AsyncSession, *, code: str, month: str, principal: Principal | None, version: int | None = None
) -> Measurement:
    contract, document = await _contract(session, code, principal)
    period_of(terms_of(document), month)
    query = select(Measurement).where(Measurement.contract_id == contract.id, Measurement.month == month)
    query = _seen_by(query, principal)
    if version is not None:
        query = query.where(Measurement.version == version)
    row = (
        await session.execute(
            query.options(selectinload(Measurement.lines)).order_by(Measurement.version.desc()).limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"no measurement of {code} for {month}" + (f" version {version}" if version else ""))
    return row


def _seen_by(query: Select[tuple[Measurement]], principal: Principal | None) -> Select[tuple[Measurement]]:
    """A draft is the provider's until it is submitted: the client's token does not see it (nor its version)."""
    return query.where(Measurement.state != "draft") if principal is not None and principal.role == "client" else query


async def list_measurements(session: AsyncSession, *, code: str, principal: Principal | None) -> list[Measurement]:
    contract, _ = await _contract(session, code, principal)
    rows = await session.execute(
        _seen_by(select(Measurement).where(Measurement.contract_id == contract.id), principal)
        .options(selectinload(Measurement.lines))
        .order_by(Measurement.month.desc(), Measurement.version.desc())
    )
    return list(rows.scalars())


def _event(
    session: AsyncSession, m: Measurement, actor: str, action: str, before: str | None, detail: dict[str, Any]
) -> None:
    session.add(
        MeasurementEvent(
            measurement_id=m.id, actor=actor, action=action, from_state=before, to_state=m.state, detail=detail
        )
    )


async def draft(
    session: AsyncSession, *, code: str, month: str, actor: str, now: datetime | None = None
) -> Measurement:
    """Draft (or redraft) the period's measurement from what was delivered. A draft is recomputed in place; a
    contested one is corrected into a new version (the old one is kept, superseded); a submitted or approved one
    is refused, saying what to do instead."""
    now = now or utcnow()
    contract, document = await _contract(session, code, None)
    terms = terms_of(document)
    period = period_of(terms, month)
    if period.end < document.starts_on or period.start > document.ends_on:
        raise OutsideContractError(month, period, document.starts_on, document.ends_on)
    if period.start > now.astimezone(ZoneInfo(contract.timezone)).date():
        raise InvalidInputError(
            f"month: {month} ({period}) has not started", extra=[{"field": "month", "problem": "a future period"}]
        )
    current = await latest(session, contract_id=contract.id, month=month)
    if current is not None and current.state in ("submitted", "approved"):
        raise ConflictError(
            f"the measurement of {code} for {month} (version {current.version}) is {current.state}: "
            + ("approve it or contest its lines" if current.state == "submitted" else "issue its invoice")
        )
    computed, checksum, adjustment_ids = await compute_lines(
        session, contract=contract, document=document, period=period, now=now, month=month
    )
    if current is not None and current.state == "draft":
        row, before = current, "draft"
        for old in list(row.lines):
            await session.delete(old)
        await session.flush()
        row.lines = []
        action = "redrafted"
    else:
        version = 1 if current is None else current.version + 1
        if current is not None:
            before_state = current.state
            current.state = "superseded"
            _event(session, current, actor, "superseded", before_state, {"by_version": version})
        row = Measurement(
            contract_id=contract.id,
            month=month,
            period_start=period.start,
            period_end=period.end,
            version=version,
            state="draft",
            total=Decimal("0.00"),
            currency=contract.currency,
            created_by=actor,
            lines=[],
        )
        session.add(row)
        before, action = None, "drafted"
    row.lines = [
        MeasurementLine(
            position=i,
            kind=x.kind,
            description=x.description,
            quantity=x.quantity,
            unit=x.unit,
            unit_price=x.unit_price,
            amount=x.amount,
            sources=list(x.sources),
            detail=dict(x.detail),
        )
        for i, x in enumerate(computed, start=1)
    ]
    row.total = L.Measurement(tuple(computed)).total
    row.report_sha256 = checksum
    row.created_at = now
    await session.flush()
    for adjustment in (
        await session.execute(select(BillingAdjustment).where(BillingAdjustment.id.in_(adjustment_ids)))
    ).scalars():
        adjustment.measurement_id = row.id
    _event(session, row, actor, action, before, {"lines": len(computed), "total": str(row.total)})
    await session.flush()
    return row


async def _transition(
    session: AsyncSession,
    *,
    code: str,
    month: str,
    principal: Principal | None,
    actor: str,
    allowed: tuple[str, ...],
    to: str,
    action: str,
    detail: dict[str, Any],
) -> Measurement:
    row = await get_measurement(session, code=code, month=month, principal=principal)
    if row.state not in allowed:
        raise ConflictError(
            f"the measurement of {code} for {month} (version {row.version}) is {row.state}: it cannot be {action}",
            extra=[{"field": "state", "problem": f"{row.state}; {action} needs {' or '.join(allowed)}"}],
        )
    before = row.state
    row.state = to
    row.decided_at = utcnow() if to in ("approved", "contested") else row.decided_at
    if to == "submitted":
        row.submitted_at = utcnow()
    _event(session, row, actor, action, before, detail)
    await session.flush()
    return row


async def submit(
    session: AsyncSession, *, code: str, month: str, actor: str, now: datetime | None = None
) -> Measurement:
    """Send the draft to the client, once its period is over (what was delivered in it is known only then)."""
    contract, _ = await _contract(session, code, None)
    current = await latest(session, contract_id=contract.id, month=month)
    today = (now or utcnow()).astimezone(ZoneInfo(contract.timezone)).date()
    if current is not None and current.state == "draft" and current.period_end >= today:
        raise PeriodNotOverError(month, current.period_end)
    return await _transition(
        session,
        code=code,
        month=month,
        principal=None,
        actor=actor,
        allowed=("draft",),
        to="submitted",
        action="submitted",
        detail={},
    )


async def approve(
    session: AsyncSession,
    *,
    code: str,
    month: str,
    actor: str,
    principal: Principal | None = None,
    by: str | None = None,
) -> Measurement:
    """The client approves (in the portal), or a manager records an approval received in writing (`by`)."""
    row = await _transition(
        session,
        code=code,
        month=month,
        principal=principal,
        actor=actor,
        allowed=("submitted",),
        to="approved",
        action="approved",
        detail={"approved_by": by or actor},
    )
    row.decided_by = by or actor
    return row


async def contest(
    session: AsyncSession, *, code: str, month: str, principal: Principal | None, actor: str, reasons: dict[int, str]
) -> Measurement:
    """The client contests lines of a submitted measurement, each with its reason (by line position)."""
    row = await get_measurement(session, code=code, month=month, principal=principal)
    by_position = {line.position: line for line in row.lines}
    problems = [
        {"field": f"lines.{p}", "problem": "no such line" if p not in by_position else "a reason is required"}
        for p, text in reasons.items()
        if p not in by_position or not text.strip()
    ]
    if not reasons:
        problems.append({"field": "lines", "problem": "name at least one line and why it is contested"})
    if problems:
        raise InvalidInputError("; ".join(f"{p['field']}: {p['problem']}" for p in problems), extra=problems)
    row = await _transition(
        session,
        code=code,
        month=month,
        principal=principal,
        actor=actor,
        allowed=("submitted",),
        to="contested",
        action="contested",
        detail={"lines": {str(p): t.strip() for p, t in reasons.items()}},
    )
    now = utcnow()
    for position, text in reasons.items():
        line = by_position[position]
        line.contested_reason, line.contested_by, line.contested_at = text.strip(), actor, now
    row.decided_by = actor
    await session.flush()
    return row


async def add_adjustment(
    session: AsyncSession, *, code: str, description: str, amount: Decimal, actor: str, invoice_id: int | None = None
) -> BillingAdjustment:
    """An amount for the next measurement drafted (a late readjustment, a ticket resolved late), naming the
    invoice it corrects."""
    contract, _ = await _contract(session, code, None)
    if not description.strip():
        raise InvalidInputError("description: required", extra=[{"field": "description", "problem": "empty"}])
    bounds.refuse([("description", p)] if (p := bounds.text_problem(description, multiline=True)) else [])
    if amount == 0:
        raise InvalidInputError("amount: must not be zero", extra=[{"field": "amount", "problem": "zero"}])
    wrong = bounds.number_problem(amount, low=-bounds.MAX_MONEY, high=bounds.MAX_MONEY)
    bounds.refuse([("amount", wrong)] if wrong is not None else [])
    row = BillingAdjustment(
        contract_id=contract.id,
        description=description.strip(),
        amount=amount,
        corrects_invoice_id=invoice_id,
        created_by=actor,
    )
    session.add(row)
    await session.flush()
    return row


async def events(session: AsyncSession, *, measurement_id: int) -> list[MeasurementEvent]:
    rows = await session.execute(
        select(MeasurementEvent).where(MeasurementEvent.measurement_id == measurement_id).order_by(MeasurementEvent.id)
    )
    return list(rows.scalars())
