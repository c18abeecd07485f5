"""`ops agent create|list|token`: agents of a contract, each with its position, skills and token."""

from __future__ import annotations

from datetime import timedelta

import click

from ops.cli.support import ROW_ID, Duration, domain_errors, echo_json, fail, run, session_scope
from ops.queues.assignment import agents

agent = click.Group("agent", help="Agents of a contract: create them (with a token), list them, new tokens.")


@agent.command("create")
@click.option("--contract", "contract_code", required=True)
@click.option("--name", required=True)
@click.option("--skills", required=True, help="Queues the agent works, with a level: care,bo_care:2 (level 1 default).")
@click.option("--capacity", type=click.IntRange(1, 10_000), default=3, show_default=True, help="Open tickets at once.")
@click.option("--position", "position_code", default=None, help="Position code (default: one named after the agent).")
@click.option("--supervisor", is_flag=True, help="The agent supervises the queue.")
@domain_errors
def create(
    contract_code: str, name: str, skills: str, capacity: int, position_code: str | None, supervisor: bool
) -> None:
    """Create an agent on a position with these skills and print its token (shown only once)."""
    try:
        parsed = agents.parse_skills(skills)
    except ValueError as exc:
        fail(str(exc))
        return

    async def go() -> tuple[int, str]:
        async with session_scope() as session:
            row, token = await agents.create_agent(
                session,
                contract_code=contract_code,
                name=name,
                skills=parsed,
                capacity=capacity,
                position_code=position_code,
                supervisor=supervisor,
            )
            return row.id, token

    agent_id, token = run(go())
    click.echo(f"agent {agent_id} created", err=True)
    click.echo(token)


@agent.command("list")
@click.option("--contract", "contract_code", required=True)
@domain_errors
def list_(contract_code: str) -> None:
    """One JSON line per agent of the contract: position, skills, status, capacity and open tickets."""
    from ops.contracts.services import get_contract

    async def go() -> None:
        async with session_scope() as session:
            contract = await get_contract(session, code=contract_code, principal=None)
            for row, position in await agents.list_agents(session, contract_id=contract.id):
                echo_json(
                    {
                        "id": row.id,
                        "name": row.name,
                        "position": position.code if position else None,
                        "skills": position.skills if position else {},
                        "status": row.status,
                        "capacity": row.capacity,
                        "open_count": row.open_count,
                    }
                )

    run(go())


@agent.command("token")
@click.argument("agent_id", type=ROW_ID)
@click.option("--expires-in", type=Duration(), default=None, help="e.g. 8h (default 12h: OPS_AGENT_TOKEN_HOURS).")
@domain_errors
def token(agent_id: int, expires_in: timedelta | None) -> None:
    """Print a fresh token for an agent (its tokens expire: 12 hours by default), shown only once."""

    async def go() -> str:
        async with session_scope() as session:
            return await agents.agent_token(session, agent_id=agent_id, expires_in=expires_in)

    click.echo(run(go()))
