"""The OpenAPI document is complete: every operation that reads a body declares it with a schema for each media type
it reads, every operation declares the error answers it can meet with the app's JSON error shape, request shapes
that refuse unknown fields say so; and a body of a media type the operation does not read is refused with 415."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops import openapi
from ops.config import Settings
from tests.helpers import bearer, load_reference, token


@pytest.fixture
async def served(sqlite_url: str, tmp_path: Any) -> AsyncIterator[tuple[Litestar, AsyncTestClient[Litestar]]]:
    from ops.app import create_app

    app = create_app(Settings(database_url=sqlite_url, reports_dir=tmp_path, scheduler="off", database_pool=False))
    async with AsyncTestClient(app=app) as client:
        yield app, client


async def test_every_operation_declares_its_body_and_its_errors(
    served: tuple[Litestar, AsyncTestClient[Litestar]],
) -> None:
    app, client = served
    document = (await client.get("/schema/openapi.json")).json()
    missing: list[str] = []
    operations = list(openapi.api_operations(app))
    assert len(operations) >= 60
    for path, method, handler in operations:
        operation = document["paths"][path][method]
        name = f"{method.upper()} {path}"
        reads_raw = "body" in handler.parsed_fn_signature.parameters  # Litestar's raw body: read by hand
        accepted = openapi.accepted_media_types(handler)
        if reads_raw and not isinstance(handler.opt.get(openapi.BODY), openapi.Body):
            missing.append(f"{name}: reads its body by hand and declares none (opt=openapi.reads(Body(...)))")
        if accepted is not None:
            content = operation.get("requestBody", {}).get("content", {})
            if set(content) != set(accepted) or not all(c.get("schema") for c in content.values()):
                missing.append(f"{name}: request body {sorted(content)} without a schema, reads {sorted(accepted)}")
        params = operation.get("parameters", [])
        expected = {"503"}
        if not handler.opt.get("exclude_from_auth"):
            expected |= {"401", "403", "429"}
        if params or accepted is not None:
            expected |= {"400", "422"}
        if any(p["in"] == "path" for p in params):
            expected.add("404")
        if accepted is not None:
            expected |= {"413", "415"}
        responses = operation["responses"]
        if lacking := expected - set(responses):
            missing.append(f"{name}: no answer declared for {sorted(lacking)}")
        for status, answer in responses.items():
            if status.startswith(("4", "5")):
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if schema != {"$ref": "#/components/schemas/Error"}:
                    missing.append(f"{name}: {status} without the JSON error shape")
    assert not missing, "\n".join(missing)


async def test_request_shapes_that_refuse_unknown_fields_say_so(
    served: tuple[Litestar, AsyncTestClient[Litestar]],
) -> None:
    _, client = served
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    for name in ("IncidentUpdate", "PlanRequest", "ActionIn", "PaymentIn", "DisputeIn", "ShiftIn", "ContractFile"):
        assert schemas[name].get("additionalProperties") is False, name
    # A delivery keeps the fields a CRM sends beyond ours (in the ticket's raw payload): the document says so.
    assert schemas["TicketIn"].get("additionalProperties", True) is not False
    assert schemas["Error"]["required"] == ["status_code", "detail"]


async def test_a_body_of_another_media_type_is_refused_with_415(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    manager = bearer(await token(db, "manager"))
    ticket = b'{"contract": "reference", "external_id": "t-415", "channel": "email", "subject": "no signal"}'

    plain = await client.post("/api/tickets", content=ticket, headers={**manager, "content-type": "text/plain"})
    assert plain.status_code == 415, plain.text
    assert plain.json()["errors"][0]["field"] == "Content-Type"
    assert "application/json" in plain.json()["detail"]
    form = await client.patch(
        "/api/incidents/1", content=b"forecast_end=x", headers={**manager, "content-type": "text/plain"}
    )
    assert form.status_code == 415
    listed = await client.get("/api/tickets", headers=manager)
    assert listed.json() == []  # nothing stored from the refused body

    # The declared type, and a bare body without any Content-Type (as some CRMs post), are read.
    stored = await client.post(
        "/api/tickets", content=ticket, headers={**manager, "content-type": "application/json; charset=utf-8"}
    )
    assert stored.status_code == 201, stored.text
    again = await client.post("/api/tickets", content=ticket, headers=manager)
    assert again.status_code == 200


async def test_what_schemathesis_found_stays_fixed(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    manager = bearer(await token(db, "manager"))
    agent = bearer(await token(db, "agent", "reference"))
    # An error on a route answering files was sent as that file's media type, holding JSON.
    refused = await client.get("/api/reports/reference/delivered/1/file", headers=agent)
    assert (refused.status_code, refused.headers["content-type"]) == (403, "application/json")
    missing = await client.get("/api/contracts/reference/invoices/9/document", headers=manager)
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/json")
    # A version far past any id reached the database (500).
    huge = await client.get(
        "/api/contracts/reference/measurements/2026-11",
        params={"version": "-3787518121303564009603072"},
        headers=manager,
    )
    assert huge.status_code == 422 and huge.json()["errors"][0]["field"] == "version", huge.text
    # A contract file naming a field with a lone surrogate (a YAML escape) could not be answered (500).
    bad = await client.post("/api/contracts", content=b'code: x\n"a\\ud933": 1\n', headers=manager)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "a\\ud933", bad.text
    # Every success status a ticket delivery answers is declared (a repeat is 200, not the new ticket's 201).
    document = (await client.get("/schema/openapi.json")).json()
    assert {"200", "201"} <= set(document["paths"]["/api/tickets"]["post"]["responses"])
    assert {"200", "201"} <= set(document["paths"]["/api/webhooks/crm"]["post"]["responses"])
    assert "content" not in document["paths"]["/api/queues/{queue}/next"]["post"]["responses"]["204"]
