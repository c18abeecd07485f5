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


async def sign_in(client: Any, value: str) -> str:
    """Sign a test client in on the pages as a browser does (POST /login), and send the session's CSRF token with
    every later request, as the pages' forms and scripts do. Returns the session id the cookie holds."""
    from ops.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_token

    response = await client.post("/login", data={"token": value}, follow_redirects=False)
    assert response.status_code == 303, response.text
    secret: str = response.cookies[SESSION_COOKIE]
    client.headers[CSRF_HEADER] = csrf_token(secret)
    return secret
