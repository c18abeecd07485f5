"""The back-office pages' own answers, in the reader's language."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import load_reference, token


async def test_a_supervisor_without_an_agent_is_told_so_in_portuguese(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await load_reference(db)
    client.cookies.set("ops_token", await token(db, "supervisor", "reference"))
    response = await client.post("/work/next", data={"queue": "care"}, headers={"accept-language": "pt-BR"})
    assert response.status_code == 403
    assert "Este acesso não é de um agente." in response.text
