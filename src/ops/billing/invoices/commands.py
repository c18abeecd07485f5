"""`ops invoice issue|show|list|credit|void|pay|nfse|verify|audit`: issued documents from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from ops import bounds
from ops.billing.measurement.commands import check_out, write
from ops.cli.support import LANGUAGE, ROW_ID, OutFile, actor, domain_errors, echo_json, fail, run, session_scope
from ops.tabular import LOCALES

invoice = click.Group(
    "invoice", help="Invoices and credit notes: issue, pay, credit, void, NFS-e, verify the chain; audit one as billed."
)


def _amount(text: str, option: str) -> Any:
    from ops.billing.money import cents, to_decimal

    try:
        value = to_decimal(text, option)
    except ValueError as exc:
        fail(str(exc))
        raise
    if value <= 0 or cents(value) != value:
        fail(f"{option}: {text} must be a positive amount with at most 2 decimals")
    return value


async def _view(session: Any, code: str, number: int, kind: str = "invoice") -> dict[str, Any]:
    from ops.billing.invoices import services
    from ops.billing.invoices.views import invoice_view

    row = await services.get_invoice(session, code=code, number=number, principal=None, kind=kind)
    standing = await services.standing(session, row, today=await services.contract_today(session, row))
    pays = await services.payments(session, invoice_id=row.id) if kind == "invoice" else []
    credits = await services.credit_notes(session, invoice_id=row.id) if kind == "invoice" else []
    return invoice_view(row, standing, pays, credits)


def _render(view: dict[str, Any], fmt: str, lang: str) -> bytes:
    from ops.billing import documents

    if fmt == "json":
        return json.dumps(view, ensure_ascii=False, indent=2).encode()
    html = documents.invoice_html(view, lang)
    return html.encode() if fmt == "html" else documents.pdf(html)


@invoice.command("issue")
@click.option("--contract", "code", required=True)
@click.option("--month", required=True, help="The measured period, YYYY-MM: its approved measurement is invoiced.")
@domain_errors
def issue(code: str, month: str) -> None:
    """Issue the invoice of an approved measurement (a month already issued is shown, not issued again)."""
    from ops.billing.invoices import services
    from ops.config import get_settings

    async def go() -> tuple[int, bool, str]:
        async with session_scope() as session:
            issued = await services.issue_invoice(
                session, code=code, month=month, actor=actor(), files=get_settings().reports_dir
            )
            i = issued.invoice
            return i.number, issued.created, f"gross {i.gross}, withheld {i.withheld}, net {i.net} {i.currency}"

    number, created, totals = run(go())
    if created:
        click.echo(f"invoice {number} issued for {code} {month}: {totals}")
    else:
        click.echo(f"{code} {month} was already invoiced: invoice {number} ({totals}); nothing changed")


@invoice.command("show")
@click.option("--contract", "code", required=True)
@click.argument("number", type=ROW_ID)
@click.option("--credit-note", is_flag=True, help="NUMBER is a credit note's.")
@click.option("--format", "fmt", type=click.Choice(["json", "html", "pdf"]), default="json", show_default=True)
@click.option(
    "--lang",
    type=LANGUAGE,
    default="pt-BR",
    show_default=True,
    help="pt-BR, es-AR or en.",
)
@click.option("--out", type=OutFile())
@domain_errors
def show(code: str, number: int, credit_note: bool, fmt: str, lang: str, out: Path | None) -> None:
    """An issued invoice (or credit note) with where it stands: payments, credits, balance, state."""
    check_out(out)

    async def go() -> dict[str, Any]:
        async with session_scope() as session:
            return await _view(session, code, number, "credit_note" if credit_note else "invoice")

    write(_render(run(go()), fmt, lang), fmt, out)


@invoice.command("list")
@click.option("--contract", "code", required=True)
@domain_errors
def list_(code: str) -> None:
    """One JSON line per issued document of the contract, newest first, with its state and balance."""
    from ops.billing.invoices import services

    async def go() -> list[dict[str, Any]]:
        async with session_scope() as session:
            out = []
            for row in await services.list_invoices(session, code=code, principal=None):
                s = await services.standing(session, row, today=await services.contract_today(session, row))
                out.append(
                    {
                        "kind": row.kind,
                        "number": row.number,
                        "month": row.month,
                        "issued_on": row.document.get("issued_on"),
                        "due_on": row.due_on.isoformat(),
                        "gross": str(row.gross),
                        "net": str(row.net),
                        "state": s.state,
                        "balance": str(s.balance),
                    }
                )
            return out

    for record in run(go()):
        echo_json(record)


@invoice.command("credit")
@click.option("--contract", "code", required=True)
@click.option("--invoice", "number", type=ROW_ID, required=True)
@click.option("--amount", required=True)
@click.option("--reason", required=True)
@domain_errors
def credit(code: str, number: int, amount: str, reason: str) -> None:
    """Issue a credit note against an invoice (the credits never exceed the invoice)."""
    from ops.billing.invoices import services
    from ops.config import get_settings

    value = _amount(amount, "--amount")

    async def go() -> int:
        async with session_scope() as session:
            row = await services.issue_credit_note(
                session,
                code=code,
                invoice_number=number,
                amount=value,
                reason=reason,
                actor=actor(),
                files=get_settings().reports_dir,
            )
            return row.number

    click.echo(f"credit note {run(go())} issued against invoice {number}")


@invoice.command("void")
@click.option("--contract", "code", required=True)
@click.argument("number", type=ROW_ID)
@click.option("--reason", required=True)
@domain_errors
def void(code: str, number: int, reason: str) -> None:
    """Void an invoice nothing was paid on, with the reason."""
    from ops.billing.invoices import services

    async def go() -> None:
        async with session_scope() as session:
            await services.void_invoice(session, code=code, number=number, reason=reason, actor=actor())

    run(go())
    click.echo(f"invoice {number} voided")


@invoice.command("pay")
@click.option("--contract", "code", required=True)
@click.argument("number", type=ROW_ID)
@click.option("--amount", required=True)
@click.option("--on", "paid_on", required=True, help="Payment date, YYYY-MM-DD.")
@domain_errors
def pay(code: str, number: int, amount: str, paid_on: str) -> None:
    """Record a payment of an invoice."""
    from ops.billing.invoices import services

    value = _amount(amount, "--amount")
    try:
        day = date.fromisoformat(paid_on)
    except ValueError:
        fail(f"--on: {paid_on!r} is not a date YYYY-MM-DD")
        return
    if (problem := bounds.date_problem(day)) is not None:
        fail(f"--on: {problem}")

    async def go() -> str:
        async with session_scope() as session:
            await services.record_payment(session, code=code, number=number, paid_on=day, amount=value, actor=actor())
            row = await services.get_invoice(session, code=code, number=number, principal=None)
            s = await services.standing(session, row, today=day)
            return f"invoice {number}: paid {s.paid}, balance {s.balance} ({s.state})"

    click.echo(run(go()))


@invoice.command("nfse")
@click.option("--contract", "code", required=True)
@click.argument("number", type=ROW_ID)
@click.option("--nfse-number", required=True)
@click.option("--code", "verification", required=True, help="The NFS-e's verification code.")
@click.option("--link", default=None)
@click.option("--value", "value", required=True, help="The NFS-e's service value.")
@domain_errors
def nfse(code: str, number: int, nfse_number: str, verification: str, link: str | None, value: str) -> None:
    """Record the fiscal invoice (NFS-e) the municipality issued for an invoice; a different value is flagged."""
    from ops.billing.invoices import services

    amount = _amount(value, "--value")

    async def go() -> str:
        async with session_scope() as session:
            row = await services.record_nfse(
                session,
                code=code,
                number=number,
                nfse_number=nfse_number,
                verification_code=verification,
                link=link,
                value=amount,
                names=("--nfse-number", "--code"),
            )
            if row.nfse_value != row.gross:
                return (
                    f"NFS-e {nfse_number} recorded, but its value {row.nfse_value} "
                    f"differs from the invoice's gross {row.gross}"
                )
            return f"NFS-e {nfse_number} recorded against invoice {number}: values match"

    click.echo(run(go()))


@invoice.command("verify")
@domain_errors
def verify() -> None:
    """Recompute the hash chain of every issued document: exit 1 and name the first one altered."""
    from ops.billing.invoices import services

    async def go() -> tuple[bool, str]:
        async with session_scope() as session:
            check = await services.verify(session)
            return check.ok, check.reason

    ok, reason = run(go())
    click.echo(("chain intact: " if ok else "chain broken: ") + reason, err=not ok)
    if not ok:
        raise SystemExit(1)


@invoice.command("audit")
@click.option("--contract", "code", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The differences as JSON.")
@click.option(
    "--locale",
    type=click.Choice(sorted(LOCALES)),
    default=None,
    help="How the file writes numbers (1.234,56 in pt-BR and es-AR, 1,234.56 in en); default: the contract's language.",
)
@domain_errors
def audit(code: str, file: Path, as_json: bool, locale: str | None) -> None:
    """Audit an invoice as billed (FILE: CSV, UTF-8 or cp1252, separated by commas or semicolons, or XLSX; columns
    description, kind,
    quantity, unit_price, amount, with period, total, net and withholding:TAX rows) against the contract's prices
    and the period's approved measurement: every difference with its amount, and what was overcharged. Stores
    nothing."""
    from ops.billing.invoices import auditing

    try:
        data = file.read_bytes()
    except OSError as error:
        fail(f"{file}: cannot read it ({error.strerror or error})")
        return
    rows = auditing.read_rows(data, str(file))  # an unreadable file: error naming it, exit 2

    async def go() -> auditing.AuditResult:
        async with session_scope() as session:
            return await auditing.audit_invoice(
                session, code=code, rows=rows, principal=None, name=str(file), locale=locale
            )

    result = run(go())
    if as_json:
        click.echo(json.dumps(auditing.result_view(result), ensure_ascii=False, indent=2))
    else:
        for line in auditing.describe(result):
            click.echo(line)
