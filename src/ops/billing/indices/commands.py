"""`ops index import|set|show` (the price index series) and `ops billing readjust` (a contract's yearly readjustment,
previewed, applied, and its notice to the client)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
import msgspec

from ops.billing.indices import services
from ops.billing.indices.notice import LANGS, notice_html, notice_pdf
from ops.billing.indices.schemas import ImportResult, ReadjustPreview, SeriesOut, SetValueOut
from ops.cli.support import OutFile, actor, domain_errors, fail, run, session_scope
from ops.errors import DomainError, InvalidInputError
from ops.http import parse_day, parse_month
from ops.tabular import LOCALES, TableError, open_table

index = click.Group("index", help="Price index series (IPCA, IGP-M, INPC, labour agreements cct_<code>).")


@index.command("import")
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--by", "by", default=None, help="Who is importing it (recorded with each value and revision).")
@click.option(
    "--locale",
    type=click.Choice(sorted(LOCALES)),
    default="en",
    show_default=True,
    help="How the file writes percentages (0.52 in en as IBGE and FGV publish them, 0,52 in pt-BR and es-AR).",
)
@click.option("--encoding", default=None, help="The CSV's encoding (default: detected, UTF-8 or cp1252).")
@click.option("--delimiter", default=None, help="The CSV's separator (default: detected from the header).")
def import_file(file: Path, by: str | None, locale: str, encoding: str | None, delimiter: str | None) -> None:
    """Import a series file FILE (CSV, its encoding and separator detected, or XLSX; columns
    month,ipca_pct_month,igpm_pct_month or month,index,pct). New months are added, unchanged ones left alone,
    a changed published value is revised (the old one kept). A bad file is refused whole, every bad line
    named."""
    from ops.config import get_settings

    try:
        table = open_table(file, max_rows=get_settings().import_max_rows, encoding=encoding, delimiter=delimiter)
    except TableError as error:
        fail(str(error))
        raise  # unreachable: fail exits
    except OSError as error:
        fail(f"{file}: cannot read it ({error.strerror or error})")
        raise  # unreachable: fail exits

    async def go() -> ImportResult:
        async with session_scope() as session:
            return await services.import_series(
                session, table=table, source=f"file:{file.name}", actor=by or actor(), locale=locale
            )

    try:
        with table:
            result = run(go())
    except (DomainError, TableError) as error:
        fail(f"{file}: {str(error).removeprefix(f'{file}: ')}")
        raise  # unreachable: fail exits
    click.echo(
        f"{file}: {result.new} new, {result.unchanged} unchanged, {result.revised} revised "
        f"({', '.join(result.indices)})"
    )
    for revision in result.revisions:
        click.echo(f"  revised {revision.index} {revision.month}: {revision.old_pct} -> {revision.new_pct}")


@index.command("set")
@click.option("--index", "name", required=True, help="IPCA, IGP-M, INPC or cct_<code> (a labour agreement).")
@click.option("--month", required=True, help="The month, YYYY-MM (an agreement's yearly % at its anniversary month).")
@click.option("--pct", required=True, help="The change in percent: 0.52 means +0.52 %.")
@click.option("--source", default="manual", show_default=True, help="Where the value was read.")
@click.option("--by", "by", default=None, help="Who is entering it.")
@domain_errors
def set_month(name: str, month: str, pct: str, source: str, by: str | None) -> None:
    """Enter one month of an index by hand; a different value than the stored one is kept as a revision."""
    day = parse_month(month, "--month")

    async def go() -> SetValueOut:
        async with session_scope() as session:
            return await services.set_value(session, index=name, month=day, pct=pct, actor=by or actor(), source=source)

    result = run(go())
    was = f" (was {result.old_pct})" if result.old_pct is not None else ""
    click.echo(f"{result.index} {result.month}: {result.pct} {result.status}{was}")


@index.command("show")
@click.option("--index", "name", required=True, help="IPCA, IGP-M, INPC or cct_<code>.")
@click.option("--from", "start", default=None, help="First month, YYYY-MM.")
@click.option("--json", "as_json", is_flag=True, help="The series and its revisions as JSON.")
@domain_errors
def show(name: str, start: str | None, as_json: bool) -> None:
    """The stored months of an index, and every revision of a published value."""
    first = parse_month(start, "--from") if start else None

    async def go() -> SeriesOut:
        async with session_scope() as session:
            return await services.series_detail(session, index=name, start=first)

    result = run(go())
    if as_json:
        click.echo(msgspec.json.encode(result).decode())
        return
    if not result.values:
        click.echo(f"{name}: no values stored" + (f" from {start}" if start else ""))
    for value in result.values:
        click.echo(f"{value.month}  {value.pct:>9}  {value.source}")
    for rev in result.revisions:
        click.echo(
            f"revised {rev.month}: {rev.old_pct} -> {rev.new_pct} ({rev.source}, {rev.recorded_by}, {rev.recorded_at})"
        )


@click.command("readjust")
@click.option("--contract", "code", required=True, help="Contract code.")
@click.option("--on", "on", required=True, help="The anniversary, YYYY-MM-DD.")
@click.option("--apply", "apply", is_flag=True, help="Write it: the readjustment and the new prices from --on.")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (the API's shape).")
@click.option("--notice", type=OutFile(), help="Write the client's notice (.pdf, .html).")
@click.option("--lang", type=click.Choice(LANGS), default="pt-BR", show_default=True, help="The notice's language.")
@click.option("--by", "by", default=None, help="Who is applying it.")
@domain_errors
def readjust(code: str, on: str, apply: bool, as_json: bool, notice: Path | None, lang: str, by: str | None) -> None:
    """A contract's readjustment on an anniversary: index, months, factor, and each price old -> new. Without
    --apply nothing is written; applying twice changes nothing."""
    day = parse_day(on, "--on")

    async def go() -> ReadjustPreview:
        async with session_scope() as session:
            if apply:
                result = await services.apply_readjustment(session, contract_code=code, on=day, actor=by or actor())
            else:
                result = await services.readjustment_for(session, contract_code=code, on=day)
            if notice is not None:  # written before the commit: a notice that cannot be written applies nothing
                content = notice_html(result, lang=lang).encode() if _is_html(notice) else notice_pdf(result, lang=lang)
                try:
                    await asyncio.to_thread(notice.write_bytes, content)
                except OSError as error:
                    raise InvalidInputError(f"--notice: cannot write {notice} ({error.strerror or error})") from None
            return result

    result = run(go())
    if as_json:
        click.echo(msgspec.json.encode(result).decode())
    else:
        for line in describe(result):
            click.echo(line)
    if notice is not None:
        click.echo(f"wrote {notice}", err=True)


def _is_html(path: Path) -> bool:
    return path.suffix.lower() in (".html", ".htm")


def describe(p: ReadjustPreview) -> list[str]:
    """The readjustment as lines of text for the terminal."""
    if p.already_applied:
        state = f"already applied on {p.applied_at} by {p.applied_by}: nothing changed"
    elif p.status == "applied":
        state = f"applied on {p.applied_at} by {p.applied_by}"
    else:
        state = "preview: --apply writes it"
    lines = [f"{p.contract}: readjustment on {p.anniversary} ({state})"]
    index = p.index if p.index == p.rule_index else f"{p.index} (the contract's {p.rule_index})"
    span = f"{p.months[0]}..{p.months[-1]}" if p.months else "-"
    lines.append(f"  index     {index}, {len(p.months)} months {span}")
    change = (p.factor - 1) * 100
    lines.append(f"  factor    {p.factor} ({change:+.4f} %)" + (f", raw {p.raw_factor} floored" if p.floored else ""))
    for term in p.components:
        lines.append(f"    {term.source} x{term.weight}: {term.factor} ({term.index_used})")
    if p.earlier:
        earlier = ", ".join(f"{e.anniversary} {e.index} x{e.factor}" for e in p.earlier)
        lines.append(f"  earlier   {earlier}; cumulative factor {p.cumulative_factor}")
    if p.fallback_used:
        lines.append(f"  fallback  {p.index} replaced {p.rule_index}")
    for note in p.notes:
        lines.append(f"  note      {note}")
    lines.append(f"  prices ({p.currency}): current -> new, compounded from the contract's base price")
    for price in p.prices:
        lines.append(f"    {price.item:<20} {price.current:>14} -> {price.new:>14}   (base {price.base})")
    if not p.prices:
        lines.append("    the contract file prices nothing")
    return lines
