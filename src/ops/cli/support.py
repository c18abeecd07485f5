"""What every CLI command shares: lazy command groups, running a coroutine, a committed session, clean errors."""

from __future__ import annotations

import asyncio
import getpass
import importlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from ops.config import get_settings
from ops.errors import DomainError
from ops.runtime import open_runtime

P = ParamSpec("P")
T = TypeVar("T")


class LazyGroup(click.Group):
    """A command group whose subcommands are imported on first use, so `ops --help` does not pay for every
    domain's imports: `commands` maps a command name to the (module, attribute) that defines it."""

    def __init__(self, name: str, *, commands: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.lazy = dict(commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, attr = self.lazy[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(_main(coro))


async def _main(coro: Awaitable[T]) -> T:
    return await coro


@asynccontextmanager
async def session_scope(*, migrate: bool = True) -> AsyncIterator[AsyncSession]:
    """One transaction for the whole command: committed at the end, rolled back on any error."""
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
