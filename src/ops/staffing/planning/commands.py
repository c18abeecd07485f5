"""`ops staffing erlang` (required agents of one interval) and `ops staffing plan` (the week's reinforcement plan)."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from ops.cli.support import domain_errors, echo_json, run, session_scope
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
        echo(f"  {'day':<10}  {'start':<5}  {'hours':>5}  {'queue':<16}  {'kind':<13}  {'count':>5}  {'cost':>10}")
        for s in result["shifts"]:
            echo(
                f"  {s['day']:<10}  {s['start'][11:16]:<5}  {s['length_hours']:>5g}  {s['queue']:<16}  "
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
    """Reads a number as the decimal written, so that 0.3 stays 3/10 in the exact arithmetic."""

    name = "number"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not number.is_finite():
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


NUMBER = DecimalType()


def _as_json(result: Staffing) -> str:
    # JSON has no infinity: an unstable Erlang C queue reports its endless ASA as null
    fields = {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in dataclasses.asdict(result).items()
    }
    return json.dumps(fields)


@click.command("erlang")
@click.option("--calls", type=NUMBER, required=True, help="Calls offered in the interval.")
@click.option("--interval-seconds", type=NUMBER, required=True, help="Interval length, e.g. 1800.")
@click.option("--aht", type=NUMBER, required=True, help="Average handle time, seconds.")
@click.option("--answer-within", type=NUMBER, required=True, help="Service level threshold T, seconds.")
@click.option("--target", type=float, default=0.8, show_default=True, help="Share answered within T.")
@click.option("--max-occupancy", type=NUMBER, default=None, help="Highest occupancy allowed, e.g. 0.85.")
@click.option(
    "--shrinkage",
    type=NUMBER,
    default=Decimal(0),
    show_default=True,
    help="Share of paid time off the phones.",
)
@click.option("--patience", type=NUMBER, default=None, help="Mean caller patience, seconds: Erlang A.")
@click.option("--max-abandon", type=float, default=None, help="Highest abandonment allowed (Erlang A).")
@click.option("--agents", type=int, default=None, help="Evaluate this many agents instead of searching.")
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
