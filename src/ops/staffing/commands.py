"""The `ops staffing` command group: each subcommand lives with what it runs and is imported on first use."""

from __future__ import annotations

from ops.cli.support import LazyGroup

staffing = LazyGroup(
    "staffing",
    help="Forecasts, required agents, reinforcement plans and the weeks executed.",
    commands={
        "erlang": ("ops.staffing.planning.commands", "erlang", "Agents needed for a service level (C or A)."),
        "plan": ("ops.staffing.planning.commands", "plan", "Forecast, size and plan a week's shifts."),
        "confirm": ("ops.staffing.planning.commands", "confirm", "Confirm a week's plan as executed."),
        "backtest": ("ops.staffing.forecast.commands", "backtest", "WAPE and bias of the forecast."),
    },
)
