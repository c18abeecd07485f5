"""`ops dispute open|advance|list|show|alerts`: disputes of what was billed, from the command line."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import click

from ops import bounds
from ops.cli.support import ROW_ID, actor, domain_errors, echo_json, fail, run, session_scope

dispute = click.Group("dispute", help="Disputes of what was billed: open, advance, list, show, alerts.")


def _amount(text: str | None, option: str) -> Decimal | None:
    from ops.billing.invoices.audit import parse_decimal

    if text is None:
        return None
    try:
        return parse_decimal(text)
    except ValueError as error:
        fail(f"{option}: {error}")
        raise


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date YYYY-MM-DD")
        raise
    if (problem := bounds.date_problem(day)) is not None:
        fail(f"{option}: {problem}")
    return day


def _print(view: dict[str, Any]) -> None:
    click.echo(json.dumps(view, ensure_ascii=False, indent=2))


@dispute.command("open")
@click.option("--contract", "code", required=True)
@click.option(
    "--origin",
    type=click.Choice(["audit", "measurement_line", "ticket", "manual"]),
    required=True,
    help="What is disputed.",
)
@click.option("--description", required=True, help="What is disputed and why.")
@click.option("--disputed", required=True, help="The amount contested (1234.56 or 1.234,56).")
@click.option("--billed", default=None, help="What was billed (default: the line, else the invoice's gross).")
@click.option("--invoice", "invoice_number", type=ROW_ID, default=None, help="The invoice's number.")
@click.option("--month", default=None, help="measurement_line: the measured period, YYYY-MM.")
@click.option("--line", "line_position", type=ROW_ID, default=None, help="measurement_line: the line's number.")
@click.option("--ticket", "ticket_id", type=ROW_ID, default=None, help="ticket: the undue-charge ticket's id.")
@click.option("--audit-code", default=None, help="audit: the difference's code (e.g. price_not_contracted).")
@click.option("--follow-up", default=None, help="The day to follow it up (default: 2 days before the deadline).")
@domain_errors
def open_(
    code: str,
    origin: str,
    description: str,
    disputed: str,
    billed: str | None,
    invoice_number: int | None,
    month: str | None,
    line_position: int | None,
    ticket_id: int | None,
    audit_code: str | None,
    follow_up: str | None,
) -> None:
    """Open a dispute: the disputed part withheld, the rest payable, the deadline by the contract's terms."""
    from ops.billing.disputes import services
    from ops.billing.disputes.views import dispute_views
    from ops.contracts.services import get_contract
    from ops.db import utcnow

    amount, billed_amount = _amount(disputed, "--disputed"), _amount(billed, "--billed")
    follow = _day(follow_up, "--follow-up")
    assert amount is not None

    async def go() -> dict[str, Any]:
        async with session_scope() as session:
            now = utcnow()
            contract = await get_contract(session, code=code, principal=None)
            row = await services.open_dispute(
                session,
                code=code,
                origin=origin,
                description=description,
                disputed=amount,
                billed=billed_amount,
                invoice_number=invoice_number,
                month=month,
                line_position=line_position,
                ticket_id=ticket_id,
                audit_code=audit_code,
                actor=actor(),
                today=services.local_day(contract, now),
                now=now,
                follow_up=follow,
            )
            return (await dispute_views(session, [row]))[0]

    view = run(go())
    click.echo(
        f"dispute {view['id']} opened on {code}: {view['disputed']} disputed, {view['undisputed']} payable; "
        f"deadline {view['deadline']}, follow up on {view['follow_up_on']}"
    )


@dispute.command("advance")
@click.option("--contract", "code", required=True)
@click.argument("dispute_id", type=ROW_ID)
@click.option(
    "--to",
    "to",
    required=True,
    type=click.Choice(["submitted", "recalculation_granted", "credited", "refused", "closed"]),
)
@click.option("--protocol", default=None, help="submitted: the other side's protocol.")
@click.option("--recalculation-number", default=None, help="recalculation_granted: required.")
@click.option("--resolution-date", default=None, help="recalculation_granted: required, YYYY-MM-DD.")
@click.option("--credited-amount", default=None, help="credited: required.")
@click.option("--credit-reference", default=None, help="credited: required, credit_note:N or invoice:N.")
@click.option("--reason", default=None, help="refused: required.")
@click.option("--note", default=None)
@click.option("--follow-up", default=None, help="The day to follow it up (default: 2 days before the deadline).")
@domain_errors
def advance(
    code: str,
    dispute_id: int,
    to: str,
    protocol: str | None,
    recalculation_number: str | None,
    resolution_date: str | None,
    credited_amount: str | None,
    credit_reference: str | None,
    reason: str | None,
    note: str | None,
    follow_up: str | None,
) -> None:
    """Move a dispute a step; each step is kept with who took it, when and with what."""
    from ops.billing.disputes import services
    from ops.db import utcnow

    data = {
        "protocol": protocol,
        "recalculation_number": recalculation_number,
        "resolution_date": resolution_date,
        "credited_amount": credited_amount,
        "credit_reference": credit_reference,
        "reason": reason,
        "note": note,
    }
    follow = _day(follow_up, "--follow-up")

    async def go() -> str:
        async with session_scope() as session:
            row = await services.advance(
                session,
                code=code,
                dispute_id=dispute_id,
                to=to,
                data=data,
                actor=actor(),
                now=utcnow(),
                follow_up=follow,
            )
            return f"dispute {row.id}: {row.state}" + (f", deadline {row.deadline}" if row.deadline else "")

    click.echo(run(go()))


@dispute.command("list")
@click.option("--contract", "code", required=True)
@click.option("--open", "open_only", is_flag=True, help="Only the open ones (neither closed nor refused).")
@domain_errors
def list_(code: str, open_only: bool) -> None:
    """One JSON line per dispute of the contract, newest first."""
    from ops.billing.disputes import services
    from ops.billing.disputes.views import dispute_views

    async def go() -> list[dict[str, Any]]:
        async with session_scope() as session:
            rows = await services.list_disputes(session, code=code, principal=None, open_only=open_only)
            return await dispute_views(session, rows)

    for view in run(go()):
        echo_json(view)


@dispute.command("show")
@click.option("--contract", "code", required=True)
@click.argument("dispute_id", type=ROW_ID)
@domain_errors
def show(code: str, dispute_id: int) -> None:
    """One dispute as JSON, with every step."""
    from ops.billing.disputes import services
    from ops.billing.disputes.views import dispute_views

    async def go() -> dict[str, Any]:
        async with session_scope() as session:
            row = await services.get_dispute(session, code=code, dispute_id=dispute_id, principal=None)
            return (await dispute_views(session, [row], with_steps=True))[0]

    _print(run(go()))


@dispute.command("alerts")
@click.option("--contract", "code", required=True)
@click.option("--on", "on", default=None, help="The day, YYYY-MM-DD (default: today in the contract's time zone).")
@domain_errors
def alerts(code: str, on: str | None) -> None:
    """Disputes past their deadline or due a follow-up, and disputed invoices falling due: one line each."""
    from ops.billing.disputes import services
    from ops.contracts.services import get_contract
    from ops.db import utcnow

    day = _day(on, "--on")

    async def go() -> list[services.Alert]:
        async with session_scope() as session:
            contract = await get_contract(session, code=code, principal=None)
            today = day or services.local_day(contract, utcnow())
            return await services.alerts(session, code=code, principal=None, today=today)

    found = run(go())
    for alert in found:
        click.echo(f"{alert.on}  {alert.kind:<16} {alert.message}")
    if not found:
        click.echo("nothing to follow up")
