"""The `ops` command line, assembled: serve, demo, worker, scheduler, tokens, and each domain's commands."""

from __future__ import annotations

import os
from datetime import timedelta

import click

from ops.cli.support import PORT, Duration, LazyGroup, domain_errors, fail, run, session_scope, settings_or_exit

# uvicorn's httptools protocol sending each answer in one write (ops/serving.py); named, so that uvicorn imports it
# in each worker process and the CLI does not at start.
HTTP_PROTOCOL = "ops.serving:HttpProtocol"

# Each domain's command group by name, imported on first use so `ops --help` stays fast.
DOMAIN_COMMANDS: dict[str, tuple[str, ...]] = {
    "contract": ("ops.contracts.commands", "contract", "Load, export, diff and delete contract files."),
    "staffing": ("ops.staffing.commands", "staffing", "Erlang, the week's plan, executed weeks, backtests."),
    "oncall": ("ops.staffing.planning.commands", "oncall", "On-call shifts: record, end early, list."),
    "sla": ("ops.queues.sla.commands", "sla", "When is it due, how long did it take, in business minutes."),
    "agent": ("ops.queues.assignment.commands", "agent", "Agents of a contract: create (with a token), list, token."),
    "report": ("ops.reports.commands", "report", "SLA compliance reports and their delivery."),
    "index": ("ops.billing.indices.commands", "index", "Price index series: import, set a month, show."),
    "billing": ("ops.billing.commands", "billing", "Readjustment, the monthly measurement, adjustments, recovery."),
    "invoice": ("ops.billing.invoices.commands", "invoice", "Issue, pay, credit, void, NFS-e, verify, audit."),
    "dispute": ("ops.billing.disputes.commands", "dispute", "The client's disputes: open, advance, list, alerts."),
    "telephony": ("ops.reports.wallboard.commands", "telephony", "The telephony platform's queues: poll Asterisk AMI."),
    "scale": ("ops.cli.scale", "scale", "Scaled out: N API processes, M job workers, one scheduler."),
}
# `ops import KIND FILE`: every data file the domains load.
IMPORT_COMMANDS: dict[str, tuple[str, ...]] = {
    "tickets": ("ops.queues.intake.commands", "import_tickets", "Tickets from a CRM export (CSV or XLSX)."),
    "complaints": ("ops.queues.intake.commands", "import_complaints", "consumidor.gov.br complaints as tickets."),
    "intervals": ("ops.staffing.history.commands", "intervals", "Telephony interval statistics (CSV)."),
    "calls": ("ops.staffing.history.commands", "calls", "A per-call log counted into 30-minute intervals."),
}


# Plain calculators that touch no registry (and should start at once).
UNWIRED = frozenset({"sla"})


class OpsGroup(LazyGroup):
    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # Every other command runs with the registries filled (contract checks, jobs), whatever it imports.
        if args and args[0] not in UNWIRED:
            from ops import bounds
            from ops.composition import wire
            from ops.config import get_settings

            wire()
            settings = settings_or_exit(get_settings)
            bounds.set_window(bounds.Window(settings.input_earliest, settings.input_future_years))
        return super().resolve_command(ctx, args)


@click.group(cls=OpsGroup, commands=DOMAIN_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ops: operations manager for an outsourced contact center."""


main.add_command(
    LazyGroup(
        "import", commands=IMPORT_COMMANDS, help="Load data files: tickets, complaints, interval statistics, call logs."
    )
)


@main.command("migrate")
def migrate() -> None:
    """Bring the database (OPS_DATABASE_URL) to the latest schema."""
    from ops.config import get_settings

    _upgrade(get_settings().database_url)
    click.echo("database is at the latest revision")


def _upgrade(url: str) -> None:
    """Migrate, or one line saying the database is out of reach (it was SQLAlchemy's traceback)."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from ops.config import hide_password
    from ops.migrate import upgrade

    try:
        _open_sqlite_file(url)
        upgrade(url)
    except (OperationalError, sqlite3.OperationalError) as exc:
        said = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"cannot open the database {hide_password(url)}: {said}")


def _open_sqlite_file(url: str) -> None:
    """An SQLite file is opened here first, without a thread or an event loop: a folder that does not exist is said
    at once. (Failing inside aiosqlite, its worker thread could outlive the migration's event loop and crash.)"""
    import sqlite3

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        sqlite3.connect(parsed.database).close()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=PORT)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the HTTP API and the pages (migrates the database first)."""
    import uvicorn

    from ops.config import get_settings

    _upgrade(get_settings().database_url)
    uvicorn.run(
        "ops.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info", http=HTTP_PROTOCOL
    )


@main.group("token")
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(["manager", "supervisor", "agent", "client", "telephony"]))
@click.option(
    "--contract", "contract_code", default=None, help="Scope the token to one contract (required for client)."
)
@click.option("--name", required=True)
@click.option(
    "--expires-in",
    type=Duration(),
    default=None,
    help="How long it lasts, e.g. 8h, 90d, 30m (default: 12h for agents, 365d for every other role; "
    "OPS_AGENT_TOKEN_HOURS and OPS_TOKEN_DAYS change them).",
)
@domain_errors
def token_create(role: str, contract_code: str | None, name: str, expires_in: timedelta | None) -> None:
    """Create a token and print it (it is stored only as a hash: this is the one time it is shown)."""
    from ops.auth import issue_token
    from ops.contracts.services import get_contract

    async def go() -> str:
        async with session_scope() as session:
            contract_id = None
            if contract_code:
                contract_id = (await get_contract(session, code=contract_code, principal=None)).id
            return await issue_token(
                session,
                name=name,
                role=role,  # type: ignore[arg-type]
                contract_id=contract_id,
                expires_in=expires_in,
            )

    click.echo(run(go()))


@token.command("list")
@domain_errors
def token_list() -> None:
    """Every token: its prefix, role, contract, name, expiry, and whether it is revoked (the secret itself is never
    stored)."""
    from sqlalchemy import select

    from ops.auth_models import ApiToken
    from ops.contracts.models import Contract

    async def go() -> list[str]:
        query = select(ApiToken, Contract.code).outerjoin(Contract, Contract.id == ApiToken.contract_id)
        async with session_scope() as session:
            return [
                f"{t.prefix}…  {t.role:<10} {code or '(all)':<16} {t.name}"
                + f"  expires {t.expires_at:%Y-%m-%d %H:%M}"
                + (f"  revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "")
                for t, code in (await session.execute(query.order_by(ApiToken.id))).tuples()
            ]

    for line in run(go()):
        click.echo(line)


@token.command("revoke")
@click.argument("prefix")
@domain_errors
def token_revoke(prefix: str) -> None:
    """Revoke a token by its prefix (as `ops token list` shows it, or its first 8 characters or more), and its page
    sessions. Every server refuses them within 5 seconds."""
    from ops.auth import revoke_token
    from ops.db import utcnow

    async def go() -> str:
        async with session_scope() as session:
            before = utcnow()
            row = await revoke_token(session, prefix)
            at = row.revoked_at
            already = at is not None and at < before
            return f"{row.name} (already revoked {at:%Y-%m-%d %H:%M} UTC)" if already else row.name

    click.echo(f"revoked: {run(go())}")


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=PORT)
@click.option("--seed", default=7, show_default=True, type=click.IntRange(0, 2**31 - 1))
@click.option("--no-serve", is_flag=True, help="Prepare the data and print the tokens, but do not serve.")
@click.option(
    "--trickle-every",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, max=3600),
    help="While serving, a CRM delivery arrives about every this many seconds (0: none).",
)
def demo(host: str, port: int, seed: int, no_serve: bool, trickle_every: float) -> None:
    """Migrate, load the reference contract and a demo month, print tokens, and serve (with CRM deliveries
    arriving as on a working day)."""
    from ops.demo.prepare import prepare_demo

    tokens = run(prepare_demo(seed=seed))
    click.echo("\nops demo is ready. Tokens (send as 'Authorization: Bearer <token>' or sign in on the pages):")
    for role, value in tokens.items():
        click.echo(f"  {role:<11} {value}")
    if no_serve:
        return
    click.echo(f"\nServing on http://{host}:{port}  (API docs: http://{host}:{port}/schema)\n")
    import uvicorn

    if trickle_every > 0:
        from ops.demo.trickle import start_trickle

        click.echo(f"A CRM delivery arrives about every {trickle_every:g} s (--trickle-every 0 stops them).\n")
        start_trickle(f"http://{host}:{port}", tokens["crm"], every=trickle_every, seed=seed)
    from ops.demo.switchboard import start_switchboard

    click.echo("The telephony platform posts the voice queues' statistics every 5 s: see /wallboard.\n")
    start_switchboard(f"http://{host}:{port}", tokens["telephony"])

    uvicorn.run("ops.app:create_app", factory=True, host=host, port=port, log_level="info", http=HTTP_PROTOCOL)


@main.command("worker")
def worker() -> None:
    """Run the arq worker (needs OPS_REDIS_URL)."""
    from ops.composition import wire
    from ops.config import get_settings
    from ops.jobs.registry import JOBS
    from ops.jobs.worker import run_worker, worker_settings
    from ops.runtime import open_runtime

    settings = get_settings()
    if not settings.redis_url:
        fail("OPS_REDIS_URL is not set: without Redis, jobs run inside `ops serve`")
    wire()
    run_worker(worker_settings(settings, JOBS, open_runtime))


@main.command("scheduler")
def scheduler() -> None:
    """Run the schedule alone (scaled-out mode: exactly one of these, the API with OPS_SCHEDULER=off)."""
    from ops.composition import SCHEDULE, assemble, schedule_sources
    from ops.config import get_settings
    from ops.jobs.worker import run_scheduler

    run_scheduler(assemble(get_settings()), fixed=SCHEDULE, sources=schedule_sources())


def entrypoint() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()


__all__ = ["main"]
