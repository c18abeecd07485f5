"""The job registry: every background job by name, each a thin async wrapper over services.

The composition root (ops.composition) registers each domain's jobs; nothing registers itself on import,
so what runs never depends on which modules happened to be imported first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

JobFunc = Callable[..., Awaitable[Any]]
JOBS: dict[str, JobFunc] = {}


def register_jobs(*funcs: JobFunc) -> None:
    """Register jobs under their function names. Jobs take (ctx, **kwargs) and must be idempotent."""
    for func in funcs:
        JOBS[func.__name__] = func


def job_named(name: str) -> JobFunc:
    try:
        return JOBS[name]
    except KeyError:
        raise LookupError(f"no job {name!r} is registered (is ops.composition.wire() called?)") from None
