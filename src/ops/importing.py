"""The `ops import` command group, shared by the domains that load data files (tickets, intervals, calls...)."""

from __future__ import annotations

import importlib
import importlib.util

import click

# Modules that add commands to `importer` when imported; loaded on first use of `ops import` so
# `ops --help` stays fast. A domain joins with one line here and `@importer.command(...)` in its module.
IMPORT_MODULES: tuple[str, ...] = (
    "ops.queues.commands",
    "ops.staffing.import_commands",
)


class ImportGroup(click.Group):
    def _load(self) -> None:
        for name in IMPORT_MODULES:
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)


importer = ImportGroup("import", help="Load data files: tickets, complaints, interval statistics, call logs.")

# ops.cli finds a domain's group by the attribute named after its command, and `import` is a keyword.
globals()["import"] = importer
