"""What every CLI command shares: running a coroutine, a committed session, clean errors."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from ops.config import get_settings
from ops.db import import_models, make_engine, make_sessionmaker
from ops.errors import DomainError
from ops.jobs.queue import ArqQueue, InProcessQueue, JobQueue, wait_for_flushes

P = ParamSpec("P")
T = TypeVar("T")


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
    import_models()
    engine = make_engine(settings.database_url, pool=settings.database_pool)
    queue: JobQueue = ArqQueue(settings.redis_url) if settings.redis_url else InProcessQueue({})
    sessionmaker = make_sessionmaker(engine, queue)
    if isinstance(queue, InProcessQueue):
        queue.ctx.update(sessionmaker=sessionmaker, settings=settings)
    try:
        async with sessionmaker.begin() as session:
            yield session
        await wait_for_flushes()
        await queue.close()
    finally:
        await engine.dispose()


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
