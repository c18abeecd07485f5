"""Demo money: the reference contract's last three months measured and invoiced as a manager would have done it
(one invoice paid, one overdue, last month's issued today), with last month's executed reinforcement, two on-call
shifts and the time-billed tickets the demo's agents logged; the client disputes part of last month's
reinforcement, submitted to the provider and waiting for its answer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.billing.disputes import services as disputes
from ops.billing.invoices import services as invoices
from ops.billing.invoices.models import Invoice
from ops.billing.measurement import services as measurements
from ops.billing.money import cents
from ops.contracts.models import Contract
from ops.staffing.planning.execution import confirm_week
from ops.staffing.planning.oncall_requests import add_oncall, end_oncall
from ops.staffing.planning.schemas import ShiftIn

MANAGER = "demo:manager"
APPROVER = "Maria Souza (CaboNet, supply chain)"


def _month_before(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _first_monday(month: date) -> date:
    return month + timedelta(days=(7 - month.weekday()) % 7)


def _first(weekday: int, month: date) -> date:
    return month + timedelta(days=(weekday - month.weekday()) % 7)


async def seed_billing(session: AsyncSession, *, contract: Contract, now: datetime, files: Path) -> list[str]:
    """Measure and invoice the three months before `now` (once: a contract with invoices is left as it is).
    Returns what was done, one line each, for the demo's output."""
    if (await session.execute(select(Invoice.id).where(Invoice.contract_id == contract.id).limit(1))).first():
        return []
    tz = ZoneInfo(contract.timezone)
    today = now.astimezone(tz).date()
    last = _month_before(today)
    months = [_month_before(_month_before(last)), _month_before(last), last]
    await _last_month_work(session, contract=contract, month=last, tz=tz)
    done = []
    for i, first in enumerate(months):
        month = first.strftime("%Y-%m")
        # Each month is measured on the 3rd of the next, approved on the 4th and invoiced on the 5th; last month's
        # measurement follows the same steps today.
        following = (first + timedelta(days=32)).replace(day=1)
        at = datetime.combine(following + timedelta(days=2), time(10), tz) if i < 2 else now
        row = await measurements.draft(session, code=contract.code, month=month, actor=MANAGER, now=at)
        if row.total <= 0:
            continue
        await measurements.submit(session, code=contract.code, month=month, actor=MANAGER)
        await measurements.approve(session, code=contract.code, month=month, actor=MANAGER, by=APPROVER)
        issued_at = at + timedelta(days=2) if i < 2 else now
        invoice = (
            await invoices.issue_invoice(
                session, code=contract.code, month=month, actor=MANAGER, now=issued_at, files=files
            )
        ).invoice
        state = "issued today"
        if i == 0:
            await invoices.record_payment(
                session,
                code=contract.code,
                number=invoice.number,
                paid_on=invoice.due_on - timedelta(days=2),
                amount=invoice.net,
                actor=MANAGER,
            )
            state = "paid"
        elif i == 1:
            state = "overdue" if today > invoice.due_on else f"due {invoice.due_on}"
        done.append(
            f"{month}: measurement approved, invoice {invoice.number} ({invoice.net} {invoice.currency} net, {state})"
        )
        if i == 2:
            done += await _dispute_reinforcement(session, contract=contract, month=month, now=now, today=today)
    return done


async def _dispute_reinforcement(
    session: AsyncSession, *, contract: Contract, month: str, now: datetime, today: date
) -> list[str]:
    """The client contests four hours of last month's reinforcement line and the dispute is submitted: the open
    dispute the pages show, with the undisputed rest of the invoice payable."""
    measured = await measurements.latest(session, contract_id=contract.id, month=month)
    line = next((x for x in measured.lines if x.kind == "reinforcement" and x.amount > 0), None) if measured else None
    if line is None:
        return []
    disputed = min(line.amount, cents(line.unit_price * 4))
    row = await disputes.open_dispute(
        session,
        code=contract.code,
        origin="measurement_line",
        description="Reforço de sábado: quatro horas-agente não prestadas (escala assinada em anexo)",
        disputed=disputed,
        billed=None,
        invoice_number=None,
        month=month,
        line_position=line.position,
        ticket_id=None,
        audit_code=None,
        actor="client:CaboNet",
        today=today,
        now=now,
    )
    await disputes.advance(
        session,
        code=contract.code,
        dispute_id=row.id,
        to="submitted",
        data={"protocol": f"CAB-{today:%Y%m}-0042"},
        actor="client:CaboNet",
        now=now,
    )
    return [f"{month}: dispute {row.id} on line {line.position} ({disputed} {contract.currency} disputed, submitted)"]


async def _last_month_work(session: AsyncSession, *, contract: Contract, month: date, tz: ZoneInfo) -> None:
    """An executed week with three reinforcement shifts added, and two on-call shifts (one ended early)."""
    monday = _first_monday(month)

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tz)

    await confirm_week(
        session,
        contract_code=contract.code,
        week=monday,
        add=[
            ShiftIn(queue="care", start=at(monday, 9), end=at(monday, 15), agents=3),
            ShiftIn(queue="helpdesk", start=at(monday, 14), end=at(monday, 20), agents=2),
            ShiftIn(
                queue="care", start=at(monday + timedelta(days=1), 9), end=at(monday + timedelta(days=1), 13), agents=2
            ),
        ],
        actor=MANAGER,
    )
    saturday = _first(5, month) + timedelta(days=7)
    shift = await add_oncall(
        session, contract_code=contract.code, start=at(saturday, 8), end=at(saturday, 18), actor=MANAGER
    )
    await end_oncall(session, shift_id=shift.id, at=at(saturday, 13), actor=MANAGER)
    wednesday = _first(2, month) + timedelta(days=14)
    await add_oncall(
        session,
        contract_code=contract.code,
        start=at(wednesday, 20),
        end=at(wednesday, 23),
        specialists=2,
        actor=MANAGER,
    )
