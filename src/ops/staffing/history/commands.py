"""`ops import intervals` and `ops import calls`: telephony history into the interval table."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ops.cli.support import domain_errors, echo_json, fail, run, session_scope
from ops.staffing.history.services import CALL_FORMATS, CallFormat, ImportResult, import_calls, import_intervals
from ops.tabular import LOCALES, open_table

_SKIPPED = {
    "unqueued": "never offered to the queue",
    "phantom": "never offered to the queue",
    "unfinished": "their entry to the queue or their end is not in the log",
    "unmapped": "of queues not named in --queue-map",
}


def _queue_map(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str] | None:
    if not values:
        return None
    pairs = {}
    for value in values:
        name, sep, code = value.partition("=")
        if not sep or not name or not code:
            raise click.BadParameter(f"{value!r} is not NAME=QUEUE", param=param)
        pairs[name] = code
    return pairs


def _report(
    result: ImportResult, as_json: bool, *, nothing_read: str = "is it the file and --format you meant?"
) -> None:
    if as_json:
        echo_json(result.as_dict())
    else:
        span = ""
        if result.first_interval and result.last_interval:
            span = f" from {result.first_interval.isoformat()} to {result.last_interval.isoformat()}"
        click.echo(
            f"{result.source}: {result.records} records, {result.intervals} intervals{span} "
            f"({result.inserted} new, {result.updated} updated, {result.unchanged} unchanged)"
        )
        for outcome, count in result.skipped_calls.items():
            click.echo(f"  skipped {count} {outcome} call records ({_SKIPPED.get(outcome, 'not counted')})")
        for other, count in result.replaced.items():
            click.echo(
                f"warning: {count} intervals imported before from {other} were replaced: a call log is read as "
                "whole days, so each day's calls go in one file (import the whole day's log again)",
                err=True,
            )
    if result.records == 0 and not result.rejected:
        # Nothing read is not a success a script should take for one: the wrong --format reads no line of a file.
        fail(f"{result.source}: no record found: {nothing_read}", code=1)
    for problem in result.rejected:
        click.echo(f"rejected {problem}", err=True)
    if result.rejected:
        stored = "the good lines were imported" if result.intervals else "no line was good: nothing was imported"
        click.echo(f"{len(result.rejected)} problems; {stored}", err=True)
        # The good lines are committed: 1 tells a script that some lines were left out, unlike 2 (nothing done).
        sys.exit(1)


@click.command("intervals")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--contract", "contract_code", required=True, help="Contract code.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--locale",
    type=click.Choice(sorted(LOCALES)),
    default=None,
    help="How the file writes numbers (1.234,56 in pt-BR and es-AR, 1,234.56 in en); default: the contract's language.",
)
@click.option("--encoding", default=None, help="The CSV's encoding (default: detected, UTF-8 or cp1252).")
@click.option("--delimiter", default=None, help="The CSV's separator (default: detected from the header).")
@domain_errors
def intervals(
    file: Path, contract_code: str, as_json: bool, locale: str | None, encoding: str | None, delimiter: str | None
) -> None:
    """Import interval statistics (CSV, its encoding and separator detected, or XLSX: queue, interval_start,
    offered, answered, answered_within, abandoned, abandoned_within, short_abandons, handle_seconds,
    wait_seconds).

    Bad lines are reported with their line and field and left out; good lines are stored. Importing
    the same file twice changes nothing. Exit status 1 when some lines were rejected, 2 when the file
    cannot be read.
    """
    from ops.config import get_settings

    with open_table(file, max_rows=get_settings().import_max_rows, encoding=encoding, delimiter=delimiter) as table:

        async def go() -> ImportResult:
            async with session_scope() as session:
                return await import_intervals(
                    session, contract_code=contract_code, table=table, source=file.name, locale=locale
                )

        result = run(go())
    _report(result, as_json, nothing_read="the file has a header and no line of intervals")


@click.command("calls")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(CALL_FORMATS), required=True, help="Call log format.")
@click.option("--contract", "contract_code", required=True, help="Contract code.")
@click.option("--queue", "queue_code", default=None, help="Queue every call of the log was offered to.")
@click.option(
    "--queue-map",
    "queue_map",
    multiple=True,
    callback=_queue_map,
    help="NAME=QUEUE: the log's queue NAME is the contract's QUEUE (repeatable; cdr with a queue column, "
    "asterisk-queue-log).",
)
@click.option("--timezone", default=None, help="Zone of times without offset (default: the queue calendar's).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@domain_errors
def calls(
    file: Path,
    fmt: CallFormat,
    contract_code: str,
    queue_code: str | None,
    queue_map: dict[str, str] | None,
    timezone: str | None,
    as_json: bool,
) -> None:
    """Count a per-call log (CSV or Parquet; Asterisk queue_log) into the queues' 30-minute intervals and store them.

    anonymous-bank: PHANTOM records and hang-ups that never queued are skipped; cdr: call_id,
    queue_entered_at, wait_seconds, outcome (answered/abandoned), handle_seconds[, queue];
    asterisk-queue-log: epoch|callid|queuename|agent|event|data..., epoch seconds in UTC.
    """

    async def go() -> ImportResult:
        async with session_scope() as session:
            return await import_calls(
                session,
                contract_code=contract_code,
                queue_code=queue_code,
                queue_map=queue_map,
                source=file,
                fmt=fmt,
                timezone=timezone,
                source_name=file.name,
            )

    _report(run(go()), as_json)
