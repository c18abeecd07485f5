"""The job registry: every background job by name, each a thin async wrapper over services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

JobFunc = Callable[..., Awaitable[Any]]
JOBS: dict[str, JobFunc] = {}

# Modules whose import registers jobs (each domain's jobs.py).
JOB_MODULES: tuple[str, ...] = ("ops.staffing.jobs", "ops.queues.sla_jobs", "ops.queues.jobs", "ops.reports.jobs")


def job(func: JobFunc) -> JobFunc:
    """Register a job under its function name. Jobs take (ctx, **kwargs) and must be idempotent."""
    JOBS[func.__name__] = func
    return func


def load_jobs() -> dict[str, JobFunc]:
    import importlib

    for name in JOB_MODULES:
        importlib.import_module(name)
    return JOBS
