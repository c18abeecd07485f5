"""`ops contract load|export|changes|delete`: the contract file is the contract."""

from __future__ import annotations

from pathlib import Path

import click

from ops.cli.support import OutFile, actor, domain_errors, echo_json, run, session_scope
from ops.contracts import services
from ops.contracts.document import parse_contract

contract = click.Group("contract", help="Load and export contract files.")


@contract.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", default=None, help="Who is loading it (recorded in the change log).")
@domain_errors
def load(file: Path, by: str | None) -> None:
    """Load or update a contract from FILE (YAML). The same file twice changes nothing."""
    parsed = parse_contract(file.read_bytes(), source=str(file))

    async def go() -> None:
        async with session_scope() as session:
            result = await services.load_contract(session, contract=parsed, source=str(file), actor=by or actor())
        click.echo(f"{result.code}: {result.status}" + (f" ({len(result.changes)} changes)" if result.changes else ""))
        for change in result.changes if result.status == "updated" else []:
            click.echo(f"  {change['path']}: {change['before']!r} -> {change['after']!r}")

    run(go())


@contract.command("export")
@click.argument("code")
@click.option("--out", type=OutFile(), help="Write here instead of stdout.")
@domain_errors
def export(code: str, out: Path | None) -> None:
    """Write contract CODE back as YAML."""

    async def go() -> str:
        async with session_scope() as session:
            return await services.export_contract(session, code=code)

    text = run(go())
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@contract.command("changes")
@click.argument("code")
@domain_errors
def changes(code: str) -> None:
    """List what each load of contract CODE changed, when and by whom."""

    async def go() -> None:
        async with session_scope() as session:
            rows = await services.contract_changes(session, code=code, principal=None)
            for r in rows:
                echo_json(
                    {
                        "at": r.changed_at.isoformat(),
                        "by": r.changed_by,
                        "source": r.source,
                        "changes": r.changes,
                    }
                )

    run(go())


@contract.command("delete")
@click.argument("code")
@domain_errors
def delete(code: str) -> None:
    """Delete contract CODE loaded by mistake; refused (nothing removed) once it has any history."""

    async def go() -> None:
        async with session_scope() as session:
            await services.delete_contract(session, code=code)

    run(go())
    click.echo(f"{code}: deleted")
