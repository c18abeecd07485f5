"""The ``ops staffing`` command group and its ``erlang`` command."""

import dataclasses
import json
import math
from decimal import Decimal, InvalidOperation

import click

from ops.staffing.erlang import ErlangInputError, Staffing, evaluate, required

staffing = click.Group(name="staffing", help="Forecasts, required agents and reinforcement plans.")


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


@staffing.command("erlang")
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


# Other staffing commands register themselves on `staffing` when imported (plan, backtest).
from ops.staffing import plan_commands as _plan_commands  # noqa: E402, F401
