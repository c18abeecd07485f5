"""The AMI poller's loop: read Asterisk's queues, keep those the contract maps to its inbound voice queues, and
store them in one transaction per poll. A failed poll is said and the next one tried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ops.config import get_settings
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import DomainError
from ops.reports.wallboard import services
from ops.reports.wallboard.ami import AmiError, AmiPoller
from ops.reports.wallboard.board import Reading
from ops.reports.wallboard.sections import board_queues
from ops.runtime import open_runtime

log = logging.getLogger("ops.telephony")


def mapped(readings: list[Reading], names: dict[str, str], voice: set[str]) -> tuple[list[Reading], list[str]]:
    """The readings of queues the contract knows (by its map, or by code), and the names of the others."""
    kept = [r for r in readings if names.get(r.queue, r.queue) in voice]
    return kept, sorted(r.queue for r in readings if r not in kept)


async def poll(
    *, code: str, host: str, port: int, username: str, secret: str, every: float, polls: int,
    echo: Callable[[str], None],
) -> int:  # fmt: skip
    """Poll until stopped (or `polls` times); the number of polls stored."""
    from ops.migrate import upgrade

    settings = get_settings()
    await asyncio.to_thread(upgrade, settings.database_url)
    runtime = open_runtime(settings)
    stored = tried = 0
    ignored: set[str] = set()
    try:
        async with runtime.sessionmaker() as session:  # an unknown contract stops here, before any connection
            await get_contract(session, code=code, principal=None)
        async with AmiPoller(host, port, username, secret) as ami:
            while polls == 0 or tried < polls:
                tried += 1
                try:
                    readings = await ami.read()
                    async with runtime.sessionmaker.begin() as session:
                        contract = await get_contract(session, code=code, principal=None)
                        document, terms = services.contract_terms(contract)
                        kept, others = mapped(readings, terms.names, {q.code for q in board_queues(document)})
                        result = await services.store_readings(
                            session, contract=contract, readings=kept, observed_at=utcnow(), source="ami",
                            since_reset=True,
                        )  # fmt: skip
                    stored += 1
                    if set(others) - ignored:
                        echo(f"not on the wallboard (no queue of {code} maps them): {', '.join(others)}")
                        ignored |= set(others)
                    echo(f"{utcnow():%H:%M:%S} " + ", ".join(f"{s.platform_queue}->{s.queue}" for s in result))
                except (AmiError, DomainError) as exc:
                    echo(f"poll {tried} failed: {exc}")
                    log.warning("AMI poll %s failed: %s", tried, exc)
                if polls == 0 or tried < polls:
                    await asyncio.sleep(every)
    finally:
        await runtime.close()
    return stored
