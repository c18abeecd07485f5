"""`ops billing ...`: the contract's money commands, each imported on first use from the module that defines it."""

from __future__ import annotations

from ops.cli.support import LazyGroup

# Command name -> (module, attribute). Add a billing command by adding its line here.
BILLING_COMMANDS: dict[str, tuple[str, ...]] = {
    "readjust": ("ops.billing.indices.commands", "readjust", "A readjustment on an anniversary: show or apply."),
    "measure": ("ops.billing.measurement.commands", "measure", "Draft (or show) a month's measurement."),
    "submit": ("ops.billing.measurement.commands", "submit", "Submit a draft measurement to the client."),
    "approve": ("ops.billing.measurement.commands", "approve", "Record an approval received in writing."),
    "adjust": ("ops.billing.measurement.commands", "adjust", "Carry an amount to the next measurement."),
    "recovery": (
        "ops.billing.indices.recovery_commands",
        "recovery",
        "Overcharges paid: what to claim back, readjusted.",
    ),
}

billing = LazyGroup(
    "billing",
    commands=BILLING_COMMANDS,
    help="The contract's money: readjustment, measurement, invoices, recovery of undue charges.",
)
