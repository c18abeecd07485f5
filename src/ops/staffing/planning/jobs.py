"""Background jobs of the staffing domain: computing a week's plan while the page shows its progress."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from ops.errors import DomainError
from ops.staffing.planning import services
from ops.staffing.planning.week import Scenario, compute

log = logging.getLogger("ops.staffing")


async def compute_staffing_plan(
    ctx: dict[str, Any], *, contract_code: str, week: str, scenario: dict[str, Any]
) -> None:
    """Compute and save the plan of a contract week, recording each step for the page that polls it.

    Reading, each progress note and the final save are separate short transactions, so no write lock
    is held while the solver runs. Running it twice computes the same plan twice: idempotent, so a worker
    killed mid-plan is harmless (the job runs again once its lease expires).
    """
    sessionmaker = ctx["sessionmaker"]
    day = date.fromisoformat(week)

    async def progress(step: str, done: int, total: int, error: str | None = None) -> None:
        async with sessionmaker.begin() as session:
            await services.set_progress(
                session, contract_code=contract_code, week=day, step=step, done=done, total=total, error=error
            )

    async def record_failure(message: str) -> None:
        try:
            await progress("failed", 0, 1, error=message)
        except DomainError:
            log.warning("could not record the failure: contract %s is gone", contract_code)

    try:
        async with sessionmaker() as session:
            inputs = await services.load_inputs(session, contract_code=contract_code, week=day)
        computed = await compute(inputs, Scenario(**scenario), progress=progress)
        async with sessionmaker.begin() as session:
            await services.save_plan(session, contract_id=inputs.contract_id, week=day, computed=computed)
    except DomainError as exc:
        # Missing history or a broken rule fails the same way every time: the page shows why; nothing to retry.
        log.warning("staffing plan of %s for %s failed: %s", contract_code, week, exc)
        await record_failure(str(exc))
    except Exception as exc:
        # The page shows the failure, and the queue (in-process or arq) tries the job again: raised, not swallowed.
        await record_failure(f"{type(exc).__name__}: {exc}")
        raise
