"""The `ops telephony` commands: poll the telephony platform (Asterisk's manager interface) into the wallboard."""

from __future__ import annotations

import os

import click

from ops.cli.support import domain_errors, fail, run

telephony = click.Group(name="telephony", help="The telephony platform's queues: poll Asterisk AMI.")


@telephony.command("ami")
@click.option("--contract", "code", required=True, help="Contract code whose voice queues Asterisk serves.")
@click.option("--host", required=True, help="Asterisk's manager interface host.")
@click.option("--port", default=5038, show_default=True, type=click.IntRange(1, 65535))
@click.option("--username", required=True, help="The AMI user (manager.conf), with read access to agent/call.")
@click.option(
    "--secret-env",
    default="OPS_AMI_SECRET",
    show_default=True,
    help="The environment variable holding the AMI user's secret (never on the command line).",
)
@click.option("--every", default=5.0, show_default=True, type=click.FloatRange(1, 3600), help="Seconds between polls.")
@click.option("--polls", default=0, type=click.IntRange(0), help="Stop after this many polls (0: run until stopped).")
@domain_errors
def ami(code: str, host: str, port: int, username: str, secret_env: str, every: float, polls: int) -> None:
    """Poll QueueSummary and QueueStatus every few seconds; each queue the contract maps (its `wallboard.queues`,
    or a queue named as its code) becomes its latest snapshot on the wallboard. Asterisk's counters run since the
    queue's last reset: today's are carried from reading to reading, from local midnight."""
    secret = os.environ.get(secret_env)
    if not secret:
        fail(f"--secret-env: the environment variable {secret_env} holding the AMI secret is not set")
        return
    from ops.reports.wallboard.ami import AmiError
    from ops.reports.wallboard.polling import poll

    try:
        done = run(poll(code=code, host=host, port=port, username=username, secret=secret, every=every, polls=polls,
                        echo=click.echo))  # fmt: skip
    except AmiError as exc:  # the manager interface out of reach or refusing the login: nothing was polled
        fail(str(exc))
        return
    if done == 0 and polls:
        fail("no poll succeeded", code=1)
