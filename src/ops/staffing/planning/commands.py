"""`ops staffing erlang` (required agents of one interval), `ops staffing plan` (the week's reinforcement plan),
`ops staffing confirm` (the week as executed) and `ops oncall` (the on-call shifts the manager records)."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import click

from ops import bounds
from ops.cli.support import ROW_ID, actor, domain_errors, echo_json, run, session_scope
from ops.staffing.planning.erlang import ErlangInputError, Staffing, evaluate, required


def _money(value: Any) -> str:
    return f"{Decimal(str(value)):,.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def print_plan(result: dict[str, Any]) -> None:
    """The plan as text: figures, shifts by day, uncovered intervals, then every staffed interval."""
    echo = click.echo
    echo(f"Plan for {result['contract']}, week of {result['week']} ({result['timezone']}): {result['status']}")
    gap = "-" if result["gap"] is None else f"{100 * result['gap']:.2f} %"
    bound = "-" if result["lp_bound"] is None else _money(result["lp_bound"])
    echo(f"Cost {result['currency']} {_money(result['cost'])} (with taxes {_money(result['cost_with_taxes'])})")
    echo(
        f"Objective (cost + penalty for uncovered positions) {_money(result['objective'])}, LP bound {bound}, gap {gap}"
    )
    for q in result["queues"]:
        sl = ""
        if q["method"] == "erlang_c":
            base, planned = _pct(q["service_level_base"]), _pct(q["service_level"])
            sl = f", predicted SL {base} with the base alone, {planned} with the plan"
        echo(
            f"  {q['code']} ({q['method']}): base {q['base_positions']}, peak required {q['peak_required']}, "
            f"{q['uncovered_intervals']} uncovered intervals{sl}"
        )
    for s in result["skipped"]:
        echo(f"  {s['queue']}: not planned ({s['reason']})")
    echo("")
    echo("Shifts")
    if not result["shifts"]:
        echo("  none needed")
    else:
        # The number is what `ops staffing confirm --skip` takes.
        echo(
            f"  {'#':>3}  {'day':<10}  {'start':<5}  {'hours':>5}  {'queue':<16}  {'kind':<13}  {'count':>5}  "
            f"{'cost':>10}"
        )
        for i, s in enumerate(result["shifts"]):
            echo(
                f"  {i:>3}  {s['day']:<10}  {s['start'][11:16]:<5}  {s['length_hours']:>5g}  {s['queue']:<16}  "
                f"{s['kind']:<13}  {s['count']:>5}  {_money(s['cost']):>10}"
            )
    echo("")
    uncovered = result["uncovered"]
    echo(f"Uncovered intervals: {len(uncovered)}")
    for u in uncovered:
        echo(f"  {u['interval_start'][:16].replace('T', ' ')}  {u['queue']:<12}  {u['positions']} positions")
    echo("")
    echo("Intervals (staffed or required)")
    echo(
        f"  {'interval':<16}  {'queue':<12}  {'offered':>7}  {'required':>8}  {'base':>4}  "
        f"{'planned':>7}  {'uncovered':>9}  {'SL':>7}"
    )
    for r in result["intervals"]:
        if not (r["required"] or r["base"] or r["planned"]):
            continue
        echo(
            f"  {r['interval_start'][:16].replace('T', ' '):<16}  {r['queue']:<12}  {r['offered'] or 0:>7.1f}  "
            f"{r['required']:>8}  {r['base']:>4}  {r['planned']:>7}  {r['uncovered']:>9}  {_pct(r['service_level']):>7}"
        )


@click.command("plan")
@click.option("--contract", "contract_code", required=True, help="Contract code.")
@click.option("--week", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day of the week, YYYY-MM-DD.")
@click.option("--oncall", is_flag=True, help="Let the plan use on-call shifts outside business hours.")
@click.option("--no-save", is_flag=True, help="Compute and print only; keep the saved plan as it is.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@domain_errors
def plan(contract_code: str, week: datetime, oncall: bool, no_save: bool, as_json: bool) -> None:
    """Forecast, size and plan the reinforcement shifts of a contract week at minimum cost, and save it."""
    _monday(week)
    from ops.staffing.planning.services import Scenario, plan_week

    async def go() -> dict[str, Any]:
        async with session_scope() as session:
            computed = await plan_week(
                session,
                contract_code=contract_code,
                week=week.date(),
                scenario=Scenario(oncall=oncall),
                save=not no_save,
            )
            return computed.result

    result = run(go())
    if as_json:
        echo_json(result)
    else:
        print_plan(result)


class DecimalType(click.ParamType[Decimal, object]):
    """Reads a number as the decimal written, so that 0.3 stays 3/10 in the exact arithmetic; `high` bounds it
    (ops.bounds), so that 1e12 calls is a clear error rather than a numpy allocation failure."""

    name = "number"

    def __init__(self, high: float | None = None, low: float | None = None) -> None:
        self.high, self.low = high, low

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not number.is_finite():
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.high is not None and number > Decimal(str(self.high)):
            self.fail(f"{value!r} is more than {self.high:g}", param, ctx)
        if self.low is not None and number < Decimal(str(self.low)):
            self.fail(f"{value!r} is less than {self.low:g}", param, ctx)
        return number


NUMBER = DecimalType()
VOLUME = DecimalType(high=bounds.MAX_VOLUME)
SECONDS = DecimalType(high=bounds.MAX_SECONDS)
# A caller's mean patience: under a second nobody waits at all (1e-9 sent every caller away, and the search blamed
# the target for it, past a numpy warning).
PATIENCE = DecimalType(high=bounds.MAX_SECONDS, low=1)


def _monday(value: datetime, param: str = "'--week'") -> datetime:
    if (problem := bounds.week_problem(value.date())) is not None:
        raise click.BadParameter(problem, param_hint=param)
    return value


def _as_json(result: Staffing) -> str:
    # JSON has no infinity: an unstable Erlang C queue reports its endless ASA as null
    fields = {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in dataclasses.asdict(result).items()
    }
    return json.dumps(fields)


@click.command("erlang")
@click.option("--calls", type=VOLUME, required=True, help="Calls offered in the interval (at most 1,000,000).")
@click.option("--interval-seconds", type=SECONDS, required=True, help="Interval length, e.g. 1800.")
@click.option("--aht", type=SECONDS, required=True, help="Average handle time, seconds.")
@click.option("--answer-within", type=SECONDS, required=True, help="Service level threshold T, seconds.")
@click.option("--target", type=float, default=0.8, show_default=True, help="Share answered within T.")
@click.option("--max-occupancy", type=NUMBER, default=None, help="Highest occupancy allowed, e.g. 0.85.")
@click.option(
    "--shrinkage",
    type=NUMBER,
    default=Decimal(0),
    show_default=True,
    help="Share of paid time off the phones.",
)
@click.option("--patience", type=PATIENCE, default=None, help="Mean caller patience, seconds (1 or more): Erlang A.")
@click.option("--max-abandon", type=float, default=None, help="Highest abandonment allowed (Erlang A).")
@click.option(
    "--agents",
    type=click.IntRange(1, int(bounds.MAX_VOLUME)),
    default=None,
    help="Evaluate this many agents instead of searching.",
)
def erlang(
    calls: Decimal,
    interval_seconds: Decimal,
    aht: Decimal,
    answer_within: Decimal,
    target: float,
    max_occupancy: Decimal | None,
    shrinkage: Decimal,
    patience: Decimal | None,
    max_abandon: float | None,
    agents: int | None,
) -> None:
    """Agents needed for a service level (Erlang C, or Erlang A with --patience), as one JSON object.

    p_abandon is null for Erlang C.
    """
    try:
        if agents is None:
            result = required(
                calls,
                interval_seconds,
                aht,
                answer_within,
                target=target,
                max_occupancy=max_occupancy,
                shrinkage=shrinkage,
                patience=patience,
                max_abandon=max_abandon,
            )
        else:
            result = evaluate(calls, interval_seconds, aht, agents, answer_within, shrinkage, patience)
    except ErlangInputError as err:
        raise click.BadParameter(err.message, param_hint=f"'--{err.argument.replace('_', '-')}'") from err
    click.echo(_as_json(result))


# --- the week as executed, and on-call shifts -----------------------------------------------------------


def _iso(value: str, param: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO time, e.g. 2026-03-07T08:00", param_hint=param) from None
    if (problem := bounds.date_problem(moment)) is not None:
        raise click.BadParameter(problem, param_hint=param)
    return moment


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    # A time written without an offset is the contract's wall clock.
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _skips(value: str | None) -> list[int]:
    try:
        return [int(part) for part in (value or "").split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r}: give shift numbers such as 3,7", param_hint="'--skip'") from None


def _added(value: str) -> tuple[str, datetime, datetime, int]:
    parts = [p.strip() for p in value.split(",")]
    if len(parts) not in (3, 4):
        raise click.BadParameter(f"{value!r}: give QUEUE,START,END[,AGENTS]", param_hint="'--add'")
    try:
        agents = int(parts[3]) if len(parts) == 4 else 1
    except ValueError:
        raise click.BadParameter(f"{parts[3]!r} is not a number of agents", param_hint="'--add'") from None
    return parts[0], _iso(parts[1], "'--add'"), _iso(parts[2], "'--add'"), agents


@click.command("confirm")
@click.option("--contract", "contract_code", required=True, help="Contract code.")
@click.option("--week", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The week's Monday, YYYY-MM-DD.")
@click.option("--skip", default=None, help="Numbers (from 0, as `ops staffing plan` lists them) of shifts NOT worked.")
@click.option("--add", "adds", multiple=True, help="A shift worked beyond the plan: QUEUE,START,END[,AGENTS].")
@domain_errors
def confirm(contract_code: str, week: datetime, skip: str | None, adds: tuple[str, ...]) -> None:
    """Confirm the week's saved plan as executed (what billing bills); times without an offset are local."""
    _monday(week)
    from ops.staffing.planning.execution import Execution, confirm_week
    from ops.staffing.planning.oncall_requests import contract_zone
    from ops.staffing.planning.schemas import ShiftIn

    skips, parsed = _skips(skip), [_added(a) for a in adds]

    async def go() -> tuple[Execution, ZoneInfo]:
        async with session_scope() as session:
            zone = await contract_zone(session, contract_code=contract_code)
            add = [ShiftIn(q, _local(start, zone), _local(end, zone), n) for q, start, end, n in parsed]
            done = await confirm_week(
                session, contract_code=contract_code, week=week.date(), skip=skips, add=add, actor=actor()
            )
            return done, zone

    done, zone = run(go())
    changes = done.row.changes
    click.echo(
        f"week of {done.row.week_start} confirmed by {done.row.confirmed_by}: {len(done.shifts)} shifts worked "
        f"({len(changes['skipped'])} of the plan skipped, {len(changes['added'])} added)"
    )
    for s in done.shifts:
        start, end = s.start.astimezone(zone), s.end.astimezone(zone)
        click.echo(f"  {start:%Y-%m-%d %H:%M}-{end:%H:%M}  {s.queue:<16}  {s.agents:>3} agents  ({s.origin})")
    for s in changes["oncall_not_executed"]:
        click.echo(f"  note: planned on-call shift {s['index']} is billed only if recorded: ops oncall add ...")


@click.group("oncall")
def oncall() -> None:
    """On-call shifts requested for a contract: billed whether or not anyone is called."""


@oncall.command("add")
@click.option("--contract", "contract_code", required=True, help="Contract code.")
@click.option("--start", "start_text", required=True, help="ISO time; without an offset, the contract's local time.")
@click.option("--end", "end_text", required=True, help="ISO time; without an offset, the contract's local time.")
@click.option("--specialists", type=int, default=1, show_default=True, help="Specialists on call (1 to 50).")
@click.option("--note", default=None, help="Why the shift was requested.")
@click.option(
    "--again",
    is_flag=True,
    help="Record it even if a shift with the same start, end and specialists is recorded (a second team).",
)
@domain_errors
def oncall_add(
    contract_code: str, start_text: str, end_text: str, specialists: int, note: str | None, again: bool
) -> None:
    """Record an on-call shift and print its id. Run again with the same start, end and specialists (a retry), it
    records nothing and prints the recorded shift's id, unless --again."""
    from ops.staffing.planning.oncall_requests import add_oncall, contract_zone, recorded_oncall

    start, end = _iso(start_text, "'--start'"), _iso(end_text, "'--end'")

    async def go() -> tuple[int, bool]:
        async with session_scope() as session:
            zone = await contract_zone(session, contract_code=contract_code)
            begin, finish = _local(start, zone), _local(end, zone)
            found = await recorded_oncall(
                session, contract_code=contract_code, start=begin, end=finish, specialists=specialists
            )
            if found is not None and not again:
                return found.id, False
            row = await add_oncall(
                session,
                contract_code=contract_code,
                start=begin,
                end=finish,
                specialists=specialists,
                note=note,
                actor=actor(),
            )
            return row.id, True

    shift_id, recorded = run(go())
    if not recorded:
        click.echo(
            f"on-call shift {shift_id} has this start, end and specialists already: not recorded again "
            "(--again records a second one)",
            err=True,
        )
    click.echo(shift_id)


@oncall.command("end")
@click.argument("shift_id", type=ROW_ID)
@click.option("--at", "at_text", required=True, help="ISO time; without an offset, the contract's local time.")
@domain_errors
def oncall_end(shift_id: int, at_text: str) -> None:
    """End an on-call shift early (it still bills at least its day's minimum)."""
    from ops.staffing.planning.oncall_requests import end_oncall, get_oncall

    at = _iso(at_text, "'--at'")

    async def go() -> datetime:
        async with session_scope() as session:
            _, contract = await get_oncall(session, shift_id=shift_id)
            zone = ZoneInfo(contract.timezone)
            row = await end_oncall(session, shift_id=shift_id, at=_local(at, zone), actor=actor())
            assert row.ended_at is not None
            return row.ended_at.astimezone(zone)

    click.echo(f"on-call shift {shift_id} ended at {run(go()).isoformat()}")


@oncall.command("list")
@click.option("--contract", "contract_code", required=True, help="Contract code.")
@click.option("--month", required=True, help="YYYY-MM: the shifts starting in that month.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per shift, one per line.")
@domain_errors
def oncall_list(contract_code: str, month: str, as_json: bool) -> None:
    """The month's on-call shifts with the hours each bills per specialist (per 24 h from its start)."""
    from ops.http import parse_month_span
    from ops.staffing.planning.oncall_requests import ListedOnCall, list_oncall

    start, end = parse_month_span(month)

    async def go() -> list[ListedOnCall]:
        async with session_scope() as session:
            return await list_oncall(session, contract_code=contract_code, start=start, end=end)

    for s in run(go()):
        row = s.shift
        if as_json:
            echo_json(
                {
                    "id": row.id,
                    "start": s.start.isoformat(),
                    "scheduled_end": s.scheduled_end.isoformat(),
                    "ended_at": s.ended_at.isoformat() if s.ended_at else None,
                    "specialists": row.specialists,
                    "periods": [str(h) for h in s.periods],
                    "hours": str(s.hours),
                    "specialist_hours": str(s.specialist_hours),
                    "note": row.note,
                }
            )
            continue
        ended = f", ended {s.ended_at:%Y-%m-%d %H:%M}" if s.ended_at else ""
        per = f" ({' + '.join(f'{h.normalize():f}' for h in s.periods)})" if len(s.periods) > 1 else ""
        click.echo(
            f"{row.id:>5}  {s.start:%Y-%m-%d %H:%M} to {s.scheduled_end:%Y-%m-%d %H:%M}{ended}  "
            f"{row.specialists} × {s.hours.normalize():f} h{per}  {row.note or ''}".rstrip()
        )
