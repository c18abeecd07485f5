"""`ops scale`: the scaled-out deployment on one machine, as it runs on many: the API in N processes (OPS_SCHEDULER
off), M arq job workers and exactly one scheduler, on PostgreSQL and Redis; started together, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import click

from ops.cli.support import PORT, fail

OPS = [sys.executable, "-c", "from ops.cli.main import entrypoint; entrypoint()"]


@dataclass(frozen=True)
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]


def processes(*, api_workers: int, job_workers: int, host: str, port: int) -> list[Process]:
    """What runs: one `ops serve --workers N` without the schedule, M `ops worker`, one `ops scheduler` (the only
    process that fires the schedule and relays the job outbox)."""
    serve = [*OPS, "serve", "--host", host, "--port", str(port), "--workers", str(api_workers)]
    return [
        Process("api", serve, {"OPS_SCHEDULER": "off"}),
        *(Process(f"worker-{n}", [*OPS, "worker"], {}) for n in range(1, job_workers + 1)),
        Process("scheduler", [*OPS, "scheduler"], {}),
    ]


@click.command("scale")
@click.option("--api-workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--job-workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=PORT)
def scale(api_workers: int, job_workers: int, host: str, port: int) -> None:
    """Run the API in several processes, several job workers and one scheduler (needs PostgreSQL and Redis);
    Ctrl-C or SIGTERM stops them all, and so does any one of them stopping."""
    from ops.config import get_settings
    from ops.migrate import upgrade

    settings = get_settings()
    if settings.is_sqlite or not settings.redis_url:
        fail("ops scale needs OPS_DATABASE_URL on PostgreSQL and OPS_REDIS_URL (one process each otherwise: ops serve)")
    upgrade(settings.database_url)  # once, before any process starts
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes(api_workers=api_workers, job_workers=job_workers, host=host, port=port):
        # Our own argv (this Python, fixed arguments), never input: S603 does not apply.
        children[process.name] = subprocess.Popen(process.argv, env={**os.environ, **process.env})  # noqa: S603
        click.echo(f"ops scale: started {process.name} (pid {children[process.name].pid})", err=True)
    code = 0
    while not stopping:
        ended = [(name, child.returncode) for name, child in children.items() if child.poll() is not None]
        if ended:
            click.echo(f"ops scale: {ended[0][0]} stopped (exit {ended[0][1]}): stopping the others", err=True)
            code = 1
            break
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            click.echo(f"ops scale: {name} did not stop in 30 s: killed", err=True)
            child.kill()
            child.wait()
    sys.exit(code)
