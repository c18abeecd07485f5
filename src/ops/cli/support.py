"""What every CLI command shares: lazy command groups, running a coroutine, a committed session, clean errors."""

from __future__ import annotations

import asyncio
import getpass
import importlib
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from ops.errors import DomainError

if TYPE_CHECKING:  # the database stack is imported by the commands that use it, not by `ops --help`
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# Whole numbers a command takes, bounded as the API bounds them: a row's id or a document's number (ops.bounds.MAX_ID,
# written out here so that `ops --help` does not import the bounds), a TCP port. Past them a command met a traceback
# from the database driver ("Python int too large to convert to SQLite INTEGER") or served on another port.
ROW_ID = click.IntRange(1, 2**31 - 1)
PORT = click.IntRange(1, 65_535)
# The languages a document is written in (ops.l10n.LANGUAGES, written out here for the same reason).
LANGUAGE = click.Choice(["pt-BR", "es-AR", "en"])

P = ParamSpec("P")
T = TypeVar("T")


class LazyGroup(click.Group):
    """A command group whose subcommands are imported on first use, so `ops --help` does not pay for every
    domain's imports: `commands` maps a command name to (module, attribute[, one-line help]); with the help
    given, listing the group imports nothing."""

    def __init__(self, name: str, *, commands: Mapping[str, tuple[str, ...]], **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.lazy = dict(commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, attr = self.lazy[cmd_name][:2]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            entry = self.lazy.get(name)
            if entry is not None and len(entry) > 2:
                rows.append((name, entry[2]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append(
                    (name, command.get_short_help_str(formatter.width - 6 - max(len(n) for n in self.lazy or [name])))
                )
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(_main(coro))


async def _main(coro: Awaitable[T]) -> T:
    return await coro


@asynccontextmanager
async def session_scope(*, migrate: bool = True) -> AsyncIterator[AsyncSession]:
    """One transaction for the whole command: committed at the end, rolled back on any error."""
    from ops.config import get_settings
    from ops.runtime import open_runtime

    settings = get_settings()
    if migrate:
        from ops.migrate import upgrade

        await asyncio.to_thread(upgrade, settings.database_url)
    runtime = open_runtime(settings)
    try:
        async with runtime.sessionmaker.begin() as session:
            yield session
    except BaseException:
        await runtime.engine.dispose()
        raise
    await runtime.close()


@asynccontextmanager
async def runtime_scope(*, migrate: bool = True) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """One runtime for a command that commits in several transactions (an import in batches): each
    `async with sessionmaker.begin()` is one of them."""
    from ops.config import get_settings
    from ops.runtime import open_runtime

    settings = get_settings()
    if migrate:
        from ops.migrate import upgrade

        await asyncio.to_thread(upgrade, settings.database_url)
    runtime = open_runtime(settings)
    try:
        yield runtime.sessionmaker
    finally:
        await runtime.close()


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=None, default=str))


def fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def settings_or_exit(read: Callable[[], T]) -> T:
    """The settings from the environment, or one line per wrong variable and exit status 2 (not pydantic's
    traceback: a mistyped OPS_DATABASE_URL stopped every command with one)."""
    from pydantic import ValidationError

    try:
        return read()
    except ValidationError as exc:
        for error in exc.errors():
            name = "OPS_" + "_".join(str(part) for part in error["loc"]).upper()
            click.echo(f"error: {name}: {str(error['msg']).removeprefix('Value error, ')}", err=True)
        sys.exit(2)


def domain_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Turn service errors into a one-line message on stderr and exit status 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except (DomainError, ValueError) as exc:
            fail(str(exc))
            raise  # unreachable: fail exits

    return wrapper


DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class Duration(click.ParamType[timedelta]):
    """A duration written as a number and a unit: 30m, 12h, 90d."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        text = str(value).strip().lower()
        unit = DURATION_UNITS.get(text[-1:])
        try:
            amount = float(text[:-1])
        except ValueError:
            amount = -1.0
        if unit is None or not 0 < amount <= 3650 * (24 * 60 if unit == "minutes" else 24 if unit == "hours" else 1):
            self.fail(f"{value!r} is not a duration such as 30m, 12h or 90d (at most 10 years)", param, ctx)
        return timedelta(**{unit: amount})


class OutFile(click.Path):
    """A file a command will write (--out, --notice): refused before any work when its folder is missing or it
    names a folder, so a long render never ends in a traceback."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(os.fsdecode(super().convert(value, param, ctx)))
        folder = path.parent
        if not folder.is_dir():
            what = "is a file, not a folder" if folder.exists() else "does not exist"
            self.fail(f"{str(folder)!r} {what}: write into a folder that exists", param, ctx)
        return path
