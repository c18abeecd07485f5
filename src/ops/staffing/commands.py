"""The `ops staffing` command group: each subcommand lives with what it runs and is imported on first use."""

from __future__ import annotations

from ops.cli.support import LazyGroup

staffing = LazyGroup(
    "staffing",
    help="Forecasts, required agents, reinforcement plans and the weeks executed.",
    commands={
        "erlang": ("ops.staffing.planning.commands", "erlang"),
        "plan": ("ops.staffing.planning.commands", "plan"),
        "confirm": ("ops.staffing.planning.commands", "confirm"),
        "backtest": ("ops.staffing.forecast.commands", "backtest"),
    },
)
