"""The CRM webhook: signed deliveries get in once; unsigned, forged or stale ones store nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.queues.intake.rules import sign
from ops.queues.models import Ticket
from tests.helpers import REFERENCE_CONTRACT, load_reference
from tests.integration.queues.conftest import delivery

SECRET = "s3cr3t-for-tests"


@pytest.fixture(autouse=True)
def crm_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPS_CRM_SECRET_REFERENCE", SECRET)


def signed(
    body: bytes, *, secret: str = SECRET, at: float | None = None, contract: str = "reference"
) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {
        "content-type": "application/json",
        "x-ops-contract": contract,
        "x-ops-timestamp": timestamp,
        "x-ops-signature": sign(secret.encode(), timestamp, body),
    }


async def stored(sessionmaker: Any) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(Ticket))).scalar_one())


async def test_a_signed_delivery_is_stored_once(client: AsyncTestClient[Litestar], qdb: Any) -> None:
    body = json.dumps(delivery(external_id="WH-1")).encode()
    first = await client.post("/api/webhooks/crm", content=body, headers=signed(body))
    assert first.status_code == 201, first.text
    assert first.json()["protocol"].startswith("20260302")
    # The CRM retries (a timeout on its side): same ticket, 200.
    retry = await client.post("/api/webhooks/crm", content=body, headers=signed(body))
    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert await stored(qdb) == 1


async def test_the_contract_may_come_from_the_body(client: AsyncTestClient[Litestar], qdb: Any) -> None:
    body = json.dumps(delivery()).encode()
    headers = signed(body)
    del headers["x-ops-contract"]
    assert (await client.post("/api/webhooks/crm", content=body, headers=headers)).status_code == 201


async def test_forged_stale_or_unsigned_deliveries_get_401_and_store_nothing(
    client: AsyncTestClient[Litestar], qdb: Any
) -> None:
    body = json.dumps(delivery()).encode()
    tampered = body.replace(b"Upgrade", b"Downgrade")
    cases = {
        "wrong secret": (body, signed(body, secret="guess")),
        "body changed after signing": (tampered, signed(body)),
        "stale": (body, signed(body, at=time.time() - 330)),
        "from the future": (body, signed(body, at=time.time() + 330)),
        "unsigned": (body, {"content-type": "application/json", "x-ops-contract": "reference"}),
        "unknown contract": (body, signed(body, contract="nobody")),
    }
    for name, (content, headers) in cases.items():
        response = await client.post("/api/webhooks/crm", content=content, headers=headers)
        assert response.status_code == 401, name
    assert await stored(qdb) == 0


async def test_a_signed_but_bad_delivery_names_its_fields(client: AsyncTestClient[Litestar], qdb: Any) -> None:
    body = json.dumps(delivery(channel=None)).encode()
    response = await client.post("/api/webhooks/crm", content=body, headers=signed(body))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "channel", "problem": "required"}]
    broken = b'{"contract": "reference", '
    assert (await client.post("/api/webhooks/crm", content=broken, headers=signed(broken))).status_code == 400


async def test_a_contract_without_a_secret_refuses_webhooks(
    client: AsyncTestClient[Litestar], qdb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(
        "crm_webhook_secret_env: OPS_CRM_SECRET_REFERENCE\n", ""
    )
    await load_reference(qdb, code="nosecret", text=text)
    body = json.dumps(delivery(contract="nosecret")).encode()
    response = await client.post("/api/webhooks/crm", content=body, headers=signed(body, contract="nosecret"))
    assert response.status_code == 401
    # A secret variable named but unset in the environment refuses too.
    monkeypatch.delenv("OPS_CRM_SECRET_REFERENCE")
    body = json.dumps(delivery()).encode()
    assert (await client.post("/api/webhooks/crm", content=body, headers=signed(body))).status_code == 401
    assert await stored(qdb) == 0


def test_a_contract_file_must_name_a_variable_not_hold_the_secret() -> None:
    from ops.contracts.document import ContractFileError, parse_contract

    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(
        "crm_webhook_secret_env: OPS_CRM_SECRET_REFERENCE", "crm_webhook_secret_env: 'hunter2 is my secret'"
    )
    with pytest.raises(ContractFileError) as error:
        parse_contract(text, "contract.yaml")
    assert error.value.path == "crm_webhook_secret_env"
    assert "environment variable" in error.value.problem
    assert "hunter2" not in str(error.value)  # it may be the secret itself: never echo it

    for other in ("HOME", "OPS_SMTP_PASSWORD"):
        with pytest.raises(ContractFileError) as error:
            parse_contract(text.replace("'hunter2 is my secret'", other), "contract.yaml")
        assert "starting with OPS_CRM_" in error.value.problem
