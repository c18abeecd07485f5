"""`ops sla`: answer "when is this due" and "how long did it take" against a business-hours calendar."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import click
import yaml

from ops import bounds
from ops.calendars import MAX_MINUTES, Calendar, CalendarError, add_business_minutes, business_minutes_between

Pause = tuple[datetime, datetime]

sla = click.Group(
    "sla",
    help=(
        "SLA clock questions in business minutes of a calendar file (JSON or YAML: timezone, hours per "
        "weekday, holidays, country, subdivision). Time outside opening hours or inside a --pause does "
        "not count."
    ),
)


def _load_calendar(ctx: click.Context, param: click.Parameter, value: Path) -> Calendar:
    try:
        data = yaml.safe_load(value.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        at = f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
        raise click.BadParameter(f"{value}: not UTF-8 text ({at}); save it as UTF-8 JSON or YAML", ctx, param) from exc
    except OSError as exc:
        raise click.BadParameter(f"cannot read {value}: {exc}", ctx, param) from exc
    except yaml.YAMLError as exc:
        raise click.BadParameter(f"{value} is neither JSON nor YAML: {exc}", ctx, param) from exc
    try:
        return Calendar.from_dict(data)
    except CalendarError as exc:
        raise click.BadParameter(f"{value}: {exc}", ctx, param) from exc


def _instant(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what} {text!r} is not an ISO 8601 timestamp such as 2025-06-02T09:00-03:00") from None
    if moment.utcoffset() is None:
        raise ValueError(f"{what} {text!r} has no UTC offset; add one, e.g. {moment.isoformat()}-03:00 or Z")
    if (problem := bounds.date_problem(moment)) is not None:
        raise ValueError(f"{what} {problem}")
    return moment


def _parse_instant(ctx: click.Context, param: click.Parameter, value: str) -> datetime:
    try:
        return _instant(value, "timestamp")
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _parse_pauses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Pause]:
    pauses: list[Pause] = []
    for text in values:
        start_text, slash, end_text = text.partition("/")
        try:
            if not slash:
                raise ValueError(f"{text!r} is not START/END (two ISO 8601 timestamps joined by '/')")
            start, end = _instant(start_text, "pause start"), _instant(end_text, "pause end")
            if end < start:
                raise ValueError(f"{text!r} ends before it starts")
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
        pauses.append((start, end))
    return pauses


def _parse_minutes(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise click.BadParameter(f"{value} is not a number of minutes >= 0", ctx, param)
    if value > MAX_MINUTES:
        raise click.BadParameter(f"{value:g} minutes: at most {MAX_MINUTES} (ten years)", ctx, param)
    return value


_calendar_option = click.option(
    "--calendar",
    "calendar",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=_load_calendar,
    help="Calendar file (JSON or YAML).",
)
_start_option = click.option(
    "--start",
    required=True,
    callback=_parse_instant,
    help="ISO 8601 with offset, e.g. 2025-06-02T09:00-03:00.",
)
_pause_option = click.option(
    "--pause",
    "pauses",
    multiple=True,
    callback=_parse_pauses,
    metavar="START/END",
    help="A stretch that does not count (pending on the customer); repeatable.",
)


@sla.command("due")
@_calendar_option
@_start_option
@click.option("--minutes", required=True, type=float, callback=_parse_minutes, help="Business minutes to add.")
@_pause_option
def due(calendar: Calendar, start: datetime, minutes: float, pauses: list[Pause]) -> None:
    """Print {"due": ...}: when MINUTES business minutes after START have passed.

    A deadline that lands exactly at closing time stays at closing time; 0 minutes is START itself.
    """
    try:
        moment = add_business_minutes(calendar, start, minutes, pauses)
    except CalendarError as exc:  # a calendar too sparse for the count: it would end past the year 9999
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"due": moment.isoformat()}))


@sla.command("elapsed")
@_calendar_option
@_start_option
@click.option("--end", required=True, callback=_parse_instant, help="ISO 8601 with offset.")
@_pause_option
def elapsed(calendar: Calendar, start: datetime, end: datetime, pauses: list[Pause]) -> None:
    """Print {"minutes": ...}: business minutes between START and END (to the microsecond)."""
    if end < start:
        raise click.BadParameter(f"{end.isoformat()} is before --start {start.isoformat()}", param_hint="--end")
    minutes = business_minutes_between(calendar, start, end, pauses)
    click.echo(json.dumps({"minutes": int(minutes) if minutes.is_integer() else round(minutes, 6)}))
