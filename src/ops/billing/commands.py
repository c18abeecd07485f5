"""`ops billing ...`: the contract's money commands, each imported on first use from the module that defines it."""

from __future__ import annotations

from ops.cli.support import LazyGroup

# Command name -> (module, attribute). Add a billing command by adding its line here.
BILLING_COMMANDS: dict[str, tuple[str, str]] = {
    "readjust": ("ops.billing.indices.commands", "readjust"),
    "measure": ("ops.billing.measurement.commands", "measure"),
    "submit": ("ops.billing.measurement.commands", "submit"),
    "approve": ("ops.billing.measurement.commands", "approve"),
    "adjust": ("ops.billing.measurement.commands", "adjust"),
    "recovery": ("ops.billing.indices.recovery_commands", "recovery"),
}

billing = LazyGroup(
    "billing",
    commands=BILLING_COMMANDS,
    help="The contract's money: readjustment, measurement, invoices, recovery of undue charges.",
)
