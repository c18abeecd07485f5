"""The demo: migrate, load the reference contract and a demo month, and mint one token per role."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ops.cli_support import session_scope
from ops.contracts.document import parse_contract
from ops.contracts.services import get_contract, load_contract

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "reference-contract.yaml"


async def prepare_demo(*, seed: int = 7) -> dict[str, str]:
    """Idempotent: re-running refreshes the demo data and issues fresh tokens."""
    from ops.auth import issue_token

    contract = await asyncio.to_thread(lambda: parse_contract(REFERENCE.read_bytes(), str(REFERENCE)))
    tokens: dict[str, str] = {}
    async with session_scope() as session:
        await load_contract(session, contract=contract, source=str(REFERENCE), actor="demo")
        row = await get_contract(session, code="reference", principal=None)
        tokens["manager"] = await issue_token(session, name="demo manager", role="manager", contract_id=None)
        tokens["supervisor"] = await issue_token(session, name="demo supervisor", role="supervisor", contract_id=row.id)
        tokens["client"] = await issue_token(session, name="demo client", role="client", contract_id=row.id)
    return tokens
