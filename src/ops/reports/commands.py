"""The `ops report` commands: an SLA report for a contract and period, and running a delivery now."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from ops import bounds
from ops.cli.support import LANGUAGE, OutFile, domain_errors, echo_json, fail, run, session_scope

report = click.Group(name="report", help="SLA compliance reports and their delivery.")


def _date(value: str, option: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date (YYYY-MM-DD)")
        raise  # unreachable: fail exits
    if (problem := bounds.history_problem(day)) is not None:  # reports read history, which may predate 2000
        fail(f"{option} {problem}")
    return day


@report.command("sla")
@click.option("--contract", "code", required=True, help="Contract code.")
@click.option("--from", "start", required=True, help="First local date, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last local date (inclusive), YYYY-MM-DD.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "html", "pdf", "xlsx", "csv"]),
    default="json",
    show_default=True,
)
@click.option("--out", type=OutFile(), help="Write here instead of stdout.")
@click.option(
    "--lang",
    type=LANGUAGE,
    default=None,
    help="Language of the report's words and numbers [default: the contract's].",
)
@click.option("--appendix", is_flag=True, help="Print the interval appendix in HTML and PDF (the XLSX always has it).")
@domain_errors
def sla(code: str, start: str, end: str, fmt: str, out: Path | None, lang: str | None, appendix: bool) -> None:
    """The SLA report of a contract for a period: executive summary, per-queue figures, penalties, charts."""
    from ops.reports.rendering.formats import render
    from ops.reports.services import sla_report

    first, last = _date(start, "--from"), _date(end, "--to")

    async def go() -> bytes:
        async with session_scope() as session:
            data = await sla_report(session, code=code, start=first, end=last, principal=None)
        return render(data, fmt, lang=lang, appendix=appendix)  # type: ignore[arg-type]

    content = run(go())
    if out is not None:
        out.write_bytes(content)
        click.echo(f"wrote {out} ({len(content):,} bytes)", err=True)
    elif fmt in ("pdf", "xlsx") and sys.stdout.isatty():
        fail(f"a {fmt} report is binary: give --out FILE")
    else:
        sys.stdout.buffer.write(content)
        if fmt == "json":
            sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()


@report.command("deliver")
@click.option("--contract", "code", required=True, help="Contract code.")
@click.option("--delivery", "name", required=True, help="Delivery name from the contract file's deliveries.")
@click.option("--date", "today", default=None, help="Run as if today were this local date (YYYY-MM-DD).")
@domain_errors
def deliver(code: str, name: str, today: str | None) -> None:
    """Run a delivery now: store its reports and send them, unless that period was already sent."""
    from ops.config import get_settings
    from ops.migrate import upgrade
    from ops.reports.delivery.services import run_delivery
    from ops.runtime import open_runtime

    day = _date(today, "--date") if today else None
    settings = get_settings()

    async def go() -> dict[str, object]:
        import asyncio

        await asyncio.to_thread(upgrade, settings.database_url)
        runtime = open_runtime(settings, pool=False)
        try:
            return await run_delivery(runtime.sessionmaker, settings, contract_code=code, delivery=name, today=day)
        finally:
            await runtime.close()

    result = run(go())
    echo_json(result)
    failed = [s for s in result["sends"] if s["status"] not in ("sent",)]  # type: ignore[attr-defined]
    if failed:
        sys.exit(1)
