"""`ops billing recovery`: what a contract's client can recover of undue charges, as text, JSON, HTML or PDF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ops.cli.support import LANGUAGE, OutFile, domain_errors, fail, run, session_scope
from ops.tabular import LOCALES


@click.command("recovery")
@click.option("--contract", "code", required=True, help="Contract code.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--route", type=click.Choice(["administrative", "judicial"]), default="administrative", show_default=True)
@click.option("--on", "on", default=None, help="The day of the calculation, YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default=None, help="A document instead.")
@click.option(
    "--lang",
    type=LANGUAGE,
    default="pt-BR",
    show_default=True,
    help="The document's language: pt-BR, es-AR or en.",
)
@click.option("--out", type=OutFile(), help="Where to write the document.")
@click.option(
    "--locale",
    type=click.Choice(sorted(LOCALES)),
    default=None,
    help="How the file writes amounts (1.234,56 in pt-BR and es-AR, 1,234.56 in en); default: the contract's language.",
)
@domain_errors
def recovery(
    code: str,
    file: Path,
    route: str,
    on: str | None,
    as_json: bool,
    fmt: str | None,
    lang: str,
    out: Path | None,
    locale: str | None,
) -> None:
    """Project the recovery of undue charges listed in FILE (CSV, its encoding and separator detected, or XLSX:
    description,paid_on,amount[,doubled]; amounts as --locale writes them): each line doubled (per the contract,
    or the line's doubled column), corrected by the contract's recovery index (never below the nominal amount),
    with interest, and what falls outside the route's window. Stores nothing."""
    from zoneinfo import ZoneInfo

    from ops.billing.indices import recovery_report as report
    from ops.billing.measurement.commands import check_out, write
    from ops.contracts.services import contract_language, get_contract
    from ops.db import utcnow
    from ops.http import parse_day

    if fmt is not None and out is None:
        fail(f"--format {fmt}: give --out FILE")
    check_out(out)
    day = parse_day(on, "--on") if on is not None else None
    try:
        data = file.read_bytes()
    except OSError as error:
        fail(f"{file}: cannot read it ({error.strerror or error})")
        return

    async def go() -> dict[str, Any]:
        async with session_scope() as session:
            lines = report.parse_lines(data, str(file), locale=locale or await contract_language(session, code))
            if day is None:
                contract = await get_contract(session, code=code, principal=None)
                today = utcnow().astimezone(ZoneInfo(contract.timezone)).date()
            else:
                today = day
            result = await report.recovery_report(
                session, code=code, lines=lines, route=route, on=today, principal=None
            )
            return report.report_view(result)

    view = run(go())
    if fmt is not None:
        from ops.billing import documents

        html = documents.recovery_html(view, lang)
        write(html.encode() if fmt == "html" else documents.pdf(html), fmt, out)
    elif as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        for line in report.describe(view):
            click.echo(line)
