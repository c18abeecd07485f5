"""`ops import tickets|complaints`: CRM exports (CSV or XLSX) and consumidor.gov.br complaints into tickets."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from ops.cli.batches import Progress, StopSignals, chunks
from ops.cli.support import domain_errors, echo_json, run, runtime_scope
from ops.contracts.services import contract_language
from ops.errors import InvalidInputError
from ops.queues.intake import complaints, rules, services
from ops.tabular import LOCALES, Table, TableError, open_table, parse_number

BATCH = 1000
# File columns -> the nested `customer` object of a delivery ("customer.area" works too).
_CUSTOMER_COLUMNS = ("id", "name", "area", "segment", "handle", "followers")


def row_payload(row: dict[str, Any], locale: str = "pt-BR") -> dict[str, Any]:
    """A file row (CSV text or XLSX cells) as a delivery: empty cells are absent, customer_* and
    customer.* columns nest under `customer`, a follower count typed as the locale writes it (1.200) is read."""
    out: dict[str, Any] = {}
    customer: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        name = str(key).strip().lower()
        for prefix in ("customer_", "customer."):
            if name.startswith(prefix) and name[len(prefix) :] in _CUSTOMER_COLUMNS:
                key = name[len(prefix) :]
                customer[key] = _count(value, locale) if key == "followers" else value
                break
        else:
            out[name] = value
    if customer:
        out["customer"] = customer
    return out


def _count(value: Any, locale: str) -> Any:
    """A whole number as the locale writes it; anything else as it came, for the rules to name."""
    if not isinstance(value, str):
        return value
    try:
        number = parse_number(value, locale)
    except ValueError:
        return value
    return int(number) if number == number.to_integral_value() else value


def row_ticket(row: dict[str, Any], locale: str = "pt-BR") -> rules.TicketData:
    """A checked delivery from a file row, keeping the row as it was in the file as the raw payload."""
    parsed = rules.parse_ticket(row_payload(row, locale))
    return replace(parsed, raw={k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items() if k})


def _problems(errors: list[dict[str, str]]) -> str:
    return "; ".join(f"{e['field']}: {e['problem']}" if e.get("field") else e["problem"] for e in errors)


@click.command("tickets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--contract", "contract_code", required=True, help="Contract code the tickets belong to.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per row instead of text.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the rejected rows, the progress and the summary.")
@click.option(
    "--locale",
    type=click.Choice(sorted(LOCALES)),
    default=None,
    help="How the file writes numbers (1.234,56 in pt-BR and es-AR, 1,234.56 in en); default: the contract's language.",
)
@click.option("--encoding", default=None, help="The CSV's encoding (default: detected, UTF-8 or cp1252).")
@click.option("--delimiter", default=None, help="The CSV's separator (default: detected from the header).")
@click.option("--batch-size", type=click.IntRange(1, 20_000), default=BATCH, show_default=True)
@domain_errors
def import_tickets(
    file: Path,
    contract_code: str,
    as_json: bool,
    quiet: bool,
    locale: str | None,
    encoding: str | None,
    delimiter: str | None,
    batch_size: int,
) -> None:
    """Import tickets from a CSV or XLSX file whose header names the fields (external_id, channel,
    reason, subject, body, customer_id, customer_name, customer_area, customer_segment,
    customer_handle, customer_followers, created_at, source).

    Prints every row as accepted (created, or existing when imported before) or rejected with all its
    reasons; good rows are stored even when others are rejected. The file is read as a stream and stored
    in batches, each one transaction, with progress on stderr: Ctrl-C or SIGTERM stops between batches,
    says what was committed and exits 130 / 143, and running the same command again stores only the
    rest (a ticket is unique by its external id). Exit status 1 when any row was rejected, 2 when the
    file cannot be read (its encoding, separator, a row limit: OPS_IMPORT_MAX_ROWS).
    """
    from ops.config import get_settings

    settings = get_settings()
    progress = Progress(file.name)
    with (
        open_table(
            file, max_rows=settings.import_max_rows, encoding=encoding, delimiter=delimiter, lower=True
        ) as table,
        StopSignals() as stop,
    ):
        table.require("external_id")
        outcome = run(_import_tickets(table, contract_code, locale, batch_size, progress, stop, as_json, quiet))
    created, existing, rejected, failure = outcome
    summary = f"{file}: {created + existing} accepted ({created} created, {existing} existing), {rejected} rejected"
    if stop.requested or failure:
        why = f"stopped by {stop.requested}" if stop.requested else f"stopped: {failure}"
        click.echo(f"{why}; committed before it: {summary}. The same command again stores the rest.", err=True)
        sys.exit(stop.code or 2)
    click.echo(summary)
    if rejected:
        sys.exit(1)


async def _import_tickets(
    table: Table,
    contract_code: str,
    locale: str | None,
    batch_size: int,
    progress: Progress,
    stop: StopSignals,
    as_json: bool,
    quiet: bool,
) -> tuple[int, int, int, str | None]:
    created = existing = rejected = 0
    failure: str | None = None
    async with runtime_scope() as sessionmaker:
        if locale is None:
            async with sessionmaker() as session:
                locale = await contract_language(session, contract_code)
        rows = iter(table)
        while not stop.requested:
            try:
                chunk = next(chunks(rows, batch_size), None)
            except TableError as exc:  # the row limit met past the rows committed
                failure = str(exc)
                break
            if chunk is None:
                break
            good: list[tuple[int, rules.TicketData]] = []
            refused: dict[int, list[dict[str, str]]] = {}
            for row in chunk:
                if row.problem is not None:
                    refused[row.line] = [{"field": "", "problem": row.problem}]
                    continue
                try:
                    good.append((row.line, row_ticket(row.values, locale)))
                except InvalidInputError as exc:
                    refused[row.line] = list(exc.extra or [{"field": "", "problem": exc.message}])
            async with sessionmaker.begin() as session:
                results = await services.create_tickets(
                    session, contract_code=contract_code, rows=[r for _, r in good], source_kind="file", push=False
                )
            lines = {line: r for (line, _), r in zip(good, results, strict=True)}
            batch_rejected = 0
            for row in chunk:
                result = lines.get(row.line)
                if result is None or result.status == "rejected":
                    errors = result.errors if result is not None else refused[row.line]
                    batch_rejected += 1
                    _say(as_json, {"line": row.line, "status": "rejected", "errors": errors}, err=True)
                    continue
                ticket = result.ticket
                assert ticket is not None
                created += result.status == "created"
                existing += result.status == "existing"
                if not quiet:
                    _say(
                        as_json,
                        {
                            "line": row.line,
                            "status": result.status,
                            "id": ticket.id,
                            "protocol": ticket.protocol,
                            "priority": ticket.priority,
                            "flagged": ticket.flagged,
                        },
                    )
            rejected += batch_rejected
            progress.add(accepted=len(chunk) - batch_rejected, rejected=batch_rejected)
        progress.finish()
        if created:  # the new tickets go to agents once, not after every batch
            async with sessionmaker.begin() as session:
                await services.request_pushes(session, contract_code=contract_code)
    return created, existing, rejected, failure


def _say(as_json: bool, record: dict[str, Any], *, err: bool = False) -> None:
    if as_json:
        echo_json(record) if not err else click.echo(_json(record), err=True)
        return
    if record["status"] == "rejected":
        click.echo(f"line {record['line']}: rejected: {_problems(record['errors'])}", err=True)
    else:
        flag = " (flagged)" if record["flagged"] else ""
        click.echo(
            f"line {record['line']}: {record['status']} {record['protocol']} ticket {record['id']} "
            f"{record['priority']}{flag}"
        )


def _json(record: dict[str, Any]) -> str:
    import json

    return json.dumps(record, ensure_ascii=False, default=str)


@click.command("complaints")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--contract", "contract_code", required=True, help="Contract code the tickets belong to.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Replay only the first N rows.")
@click.option("--encoding", default=None, help="The CSV's encoding (default: detected, UTF-8 or cp1252).")
@click.option("--delimiter", default=None, help="The CSV's separator (default: detected from the header).")
@domain_errors
def import_complaints(
    file: Path, contract_code: str, limit: int | None, encoding: str | None, delimiter: str | None
) -> None:
    """Replay consumidor.gov.br complaints (CSV with the SENACON columns) as closed tickets: reason
    from the problem group, opened / answered / closed dates kept, state (UF) in customer.state.
    Replaying the same file again stores nothing new. Read as a stream and stored in batches with
    progress on stderr; Ctrl-C or SIGTERM stops between batches (exit 130 / 143). Exit status 1 when
    any row was rejected."""
    from ops.config import get_settings

    progress = Progress(file.name)
    with (
        open_table(file, max_rows=get_settings().import_max_rows, encoding=encoding, delimiter=delimiter) as table,
        StopSignals() as stop,
    ):
        complaints.check_header(table)  # a file of something else is one line, before any progress
        created, existing, rejected, failure = run(_replay(table, contract_code, limit, progress, stop))
    summary = (
        f"{file.name}: {created} complaints replayed as tickets, {existing} already there, "
        f"{rejected} rejected ({progress.seconds():.1f} s)"
    )
    if stop.requested or failure:
        why = f"stopped by {stop.requested}" if stop.requested else f"stopped: {failure}"
        click.echo(f"{why}; committed before it: {summary}. The same command again stores the rest.", err=True)
        sys.exit(stop.code or 2)
    click.echo(summary)
    if rejected:
        sys.exit(1)


async def _replay(
    table: Table, contract_code: str, limit: int | None, progress: Progress, stop: StopSignals
) -> tuple[int, int, int, str | None]:
    created = existing = rejected = count = 0
    async with runtime_scope() as sessionmaker:
        async with sessionmaker() as session:
            tz = ZoneInfo((await services.load_intake(session, contract_code=contract_code)).rules.timezone.key)
        items = iter(complaints.read_complaints(table, tz=tz))
        while not stop.requested:
            try:
                batch = next(chunks(items, 1000), None)
            except TableError as exc:
                progress.finish()
                return created, existing, rejected, str(exc)
            if limit is not None and batch is not None:
                batch = batch[: max(0, limit - count)]
            if not batch:
                break
            count += len(batch)
            before = rejected
            for problem in (p for p in batch if isinstance(p, complaints.RowProblem)):
                rejected += 1
                click.echo(f"line {problem.line}: rejected: {problem.problem}", err=True)
            good = [t for t in batch if isinstance(t, rules.TicketData)]
            async with sessionmaker.begin() as session:
                results = await services.create_tickets(
                    session, contract_code=contract_code, rows=good, source_kind="replay", detect_outages=False
                )
            for r in results:
                created += r.status == "created"
                existing += r.status == "existing"
                if r.status == "rejected":
                    rejected += 1
                    click.echo(f"row {r.index}: rejected: {_problems(r.errors)}", err=True)
            progress.add(accepted=len(batch) - (rejected - before), rejected=rejected - before)
        progress.finish()
    return created, existing, rejected, None
