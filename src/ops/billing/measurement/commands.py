"""`ops billing measure|submit|approve|adjust`: the monthly measurement from the command line."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import click

from ops.cli.support import LANGUAGE, ROW_ID, OutFile, actor, domain_errors, fail, run, session_scope

FORMATS = ("json", "html", "pdf", "xlsx")


def check_out(out: Path | None) -> None:
    """Refuse an --out into a missing folder before any work is done."""
    if out is not None and not out.parent.exists():
        fail(f"--out: the folder {out.parent} does not exist")


def write(content: bytes, fmt: str, out: Path | None) -> None:
    """A document to a file, or to stdout when it is text (a binary one on a terminal needs --out)."""
    if out is not None:
        if not out.parent.exists():
            fail(f"--out: the folder {out.parent} does not exist")
        out.write_bytes(content)
        click.echo(f"wrote {out} ({len(content):,} bytes)", err=True)
    elif fmt in ("pdf", "xlsx") and sys.stdout.isatty():
        fail(f"a {fmt} document is binary: give --out FILE")
    else:
        sys.stdout.buffer.write(content + (b"\n" if fmt == "json" else b""))
        sys.stdout.flush()


def render_measurement(view: dict[str, object], fmt: str, lang: str) -> bytes:
    from ops.billing import documents

    if fmt == "json":
        return json.dumps(view, ensure_ascii=False, indent=2).encode()
    if fmt == "xlsx":
        return documents.lines_xlsx(f"{view['month']}", view, lang)
    html = documents.measurement_html(view, lang)
    return html.encode() if fmt == "html" else documents.pdf(html)


@click.command("measure")
@click.option("--contract", "code", required=True, help="Contract code.")
@click.option("--month", required=True, help="The period, YYYY-MM (from the contract's cut-off day when it has one).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option(
    "--lang",
    type=LANGUAGE,
    default="pt-BR",
    show_default=True,
    help="pt-BR, es-AR or en.",
)
@click.option("--out", type=OutFile(), help="Write here instead of stdout.")
@click.option("--show", is_flag=True, help="Show the latest version as it is instead of drafting it again.")
@domain_errors
def measure(code: str, month: str, fmt: str, lang: str, out: Path | None, show: bool) -> None:
    """Draft the month's measurement from what was delivered (a draft is recomputed; a contested one becomes a new
    version) and print it; with --show, print the latest version without touching it."""
    from ops.billing.measurement import services
    from ops.billing.measurement.views import measurement_view
    from ops.contracts.services import get_contract

    check_out(out)

    async def go() -> dict[str, object]:
        async with session_scope() as session:
            if show:
                row = await services.get_measurement(session, code=code, month=month, principal=None)
            else:
                row = await services.draft(session, code=code, month=month, actor=actor())
            contract = await get_contract(session, code=code, principal=None)
            return measurement_view(row, contract, await services.events(session, measurement_id=row.id))

    view = run(go())
    write(render_measurement(view, fmt, lang), fmt, out)


@click.command("submit")
@click.option("--contract", "code", required=True)
@click.option("--month", required=True)
@domain_errors
def submit(code: str, month: str) -> None:
    """Submit the month's draft measurement to the client for approval."""
    from ops.billing.measurement import services

    async def go() -> str:
        async with session_scope() as session:
            row = await services.submit(session, code=code, month=month, actor=actor())
            return f"{code} {month} version {row.version}: submitted (total {row.total} {row.currency})"

    click.echo(run(go()))


@click.command("approve")
@click.option("--contract", "code", required=True)
@click.option("--month", required=True)
@click.option("--by", "by", required=True, help="Who approved it in writing (name and role at the client).")
@domain_errors
def approve(code: str, month: str, by: str) -> None:
    """Record an approval of the submitted measurement received from the client in writing."""
    from ops.billing.measurement import services

    if not by.strip():
        fail("--by: name who approved it")

    async def go() -> str:
        async with session_scope() as session:
            row = await services.approve(session, code=code, month=month, actor=actor(), by=by.strip())
            return f"{code} {month} version {row.version}: approved by {row.decided_by}"

    click.echo(run(go()))


@click.command("adjust")
@click.option("--contract", "code", required=True)
@click.option("--amount", required=True, help="Signed amount, e.g. -120.50 (a credit) or 310.00.")
@click.option("--description", required=True)
@click.option("--invoice", "invoice_number", type=ROW_ID, default=None, help="The invoice it corrects.")
@domain_errors
def adjust(code: str, amount: str, description: str, invoice_number: int | None) -> None:
    """An adjustment carried to the next measurement drafted (a late readjustment, a ticket resolved late)."""
    from ops.billing.invoices.services import get_invoice
    from ops.billing.measurement import services
    from ops.billing.money import cents, to_decimal

    try:
        value = to_decimal(amount, "--amount")
    except ValueError as exc:
        fail(str(exc))
        return
    if cents(value) != value:
        fail(f"--amount: {amount} has more than 2 decimals")

    async def go() -> int:
        async with session_scope() as session:
            invoice_id = None
            if invoice_number is not None:
                invoice_id = (await get_invoice(session, code=code, number=invoice_number, principal=None)).id
            row = await services.add_adjustment(
                session, code=code, description=description, amount=Decimal(value), actor=actor(), invoice_id=invoice_id
            )
            return row.id

    click.echo(f"adjustment {run(go())} waits for the next measurement of {code}")
