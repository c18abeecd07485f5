"""The delivery schedule: one APScheduler cron job per contract delivery, in the contract's time zone."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.contracts.document import from_document
from ops.contracts.models import Contract
from ops.contracts.schemas import ContractFile, Delivery
from ops.reports.delivery.services import local_today, period_for

log = logging.getLogger("ops.reports.delivery")


def check_deliveries(deliveries: list[Delivery], contract: ContractFile) -> None:
    """Each delivery's cron expression, read as the schedule reads it (in the contract's zone): a bad one is
    refused when the file is loaded, not logged at scheduling time where nobody sees it."""
    for i, delivery in enumerate(deliveries):
        if (problem := cron_problem(delivery.cron, contract.timezone)) is not None:
            raise ValueError(f"deliveries[{i}].cron: {problem}")


def cron_problem(expression: str, timezone: str) -> str | None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression, timezone=timezone)
    except (ValueError, KeyError, TypeError) as exc:
        return f"{expression!r} is not a cron expression of five fields such as '0 8 1 * *' ({exc})"
    return None


async def schedule_deliveries(scheduler: Any, sessionmaker: async_sessionmaker[AsyncSession], queue: Any) -> list[str]:
    """(Re)add one APScheduler cron job per contract delivery; drop those no longer in any contract.

    A firing computes the period in the contract's time zone and enqueues `deliver_report` with a
    job id naming the period, so a double firing is one job (and the unique keys catch the rest).
    """
    from apscheduler.triggers.cron import CronTrigger

    async with sessionmaker() as session:
        contracts = list((await session.execute(select(Contract))).unique().scalars())
    wanted: list[str] = []
    for contract in contracts:
        for d in from_document(contract.document).deliveries:
            job_id = f"delivery:{contract.code}:{d.name}"
            wanted.append(job_id)
            try:
                trigger = CronTrigger.from_crontab(d.cron, timezone=contract.timezone)
            except ValueError:
                log.error("contract %s delivery %s: bad cron %r", contract.code, d.name, d.cron)
                continue
            scheduler.add_job(
                fire_delivery,
                trigger,
                args=[queue, contract.code, d.name, d.period, contract.timezone],
                id=job_id,
                replace_existing=True,
                misfire_grace_time=3600,
                coalesce=True,
            )
    for job in scheduler.get_jobs():
        if job.id.startswith("delivery:") and job.id not in wanted:
            job.remove()
    return wanted


async def fire_delivery(queue: Any, contract_code: str, delivery: str, period: str, timezone: str) -> None:
    start, end = period_for(period, local_today(timezone))
    await queue.enqueue(
        "deliver_report",
        job_id=f"report:{contract_code}:{delivery}:{start}:{end}",
        contract_code=contract_code,
        delivery=delivery,
        start=start.isoformat(),
        end=end.isoformat(),
    )
