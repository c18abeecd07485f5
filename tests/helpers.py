"""Helpers shared by integration tests: load a contract, mint tokens, auth headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops.auth import Role, issue_token
from ops.contracts.document import parse_contract
from ops.contracts.services import get_contract, load_contract

ROOT = Path(__file__).parent.parent
REFERENCE_CONTRACT = ROOT / "examples" / "reference-contract.yaml"


async def load_reference(sessionmaker: Any, *, code: str = "reference", text: str | None = None) -> None:
    text = text if text is not None else REFERENCE_CONTRACT.read_text(encoding="utf-8")
    if code != "reference":
        text = text.replace("code: reference", f"code: {code}", 1).replace("code: cabonet", f"code: {code}-client", 1)
    async with sessionmaker.begin() as session:
        await load_contract(session, contract=parse_contract(text, "test"), source="test", actor="test")


async def token(sessionmaker: Any, role: Role, contract: str | None = None, name: str = "t") -> str:
    async with sessionmaker.begin() as session:
        contract_id = (await get_contract(session, code=contract, principal=None)).id if contract else None
        return await issue_token(session, name=name, role=role, contract_id=contract_id)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
