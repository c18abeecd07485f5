"""A contract file held to the bounds (issue 13) through the API and the CLI: impossible or far dates, money that
is not a finite amount, control characters, deep nesting, unsafe delivery names, bad cron expressions, URLs and
addresses are refused naming the field, and nothing is stored. Six loads of one new contract at once on
PostgreSQL answer with the contract, never 500."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.auth import Principal
from ops.cli.main import main
from ops.contracts.document import parse_contract
from ops.contracts.schemas import LoadResult
from ops.contracts.services import list_contracts, load_contract
from ops.errors import ConflictError
from tests.helpers import REFERENCE_CONTRACT, bearer, token

REFERENCE = REFERENCE_CONTRACT.read_text(encoding="utf-8")
RECIPIENTS = "recipients: [sla-reports@cabonet.example]"
DELIVERY = '{name: daily, cron: "0 8 * * *", period: yesterday, formats: [pdf]}'

BAD_FILES = [
    ("signed_on: 2026-01-15", "signed_on: 2026-02-30", "signed_on", "not a valid date (YYYY-MM-DD)"),
    ("signed_on: 2026-01-15", "signed_on: 0001-01-01", "signed_on", "is outside 2000-01-01 to"),
    ("ends_on: 2028-01-31", "ends_on: 9999-12-31", "ends_on", "is outside 2000-01-01 to"),
    ("value: 4860000.00", "value: .inf", "value", "inf is not a finite number"),
    ("value: 4860000.00", "value: 1e400", "value", "1E+400 is outside 0 to"),
    ("value: 4860000.00", "value: .nan", "value", "nan is not a finite number"),
    ("value: 4860000.00", "value: 4860000000000000", "value", "is outside 0 to"),
    ("code: reference", 'code: "refer\\0ence"', "code", "control character U+0000"),
    ("name: CaboNet Telecomunicações S.A.", 'name: "CaboNet\\x1b[2J"', "client.name", "control character U+001B"),
    (RECIPIENTS, "recipients: " + "[" * 40 + "a@b.example" + "]" * 40, "recipients" + "[0]" * 31, "nested deeper"),
    (DELIVERY, DELIVERY.replace("name: daily", "name: ../../etc/cron.d/x"), "deliveries[0].name", "letters, digits"),
    (DELIVERY, DELIVERY.replace('"0 8 * * *"', '"0 8 * *"'), "deliveries[0].cron", "is not a cron expression"),
    (DELIVERY, DELIVERY.replace('"0 8 * * *"', '"0 25 * * *"'), "deliveries[0].cron", "is not a cron expression"),
    (RECIPIENTS, "recipients: [sla-reports@cabonet.example, 'ana; rm -rf']", "recipients[1]", "not an e-mail"),
    (RECIPIENTS, RECIPIENTS + "\nwebhook_url: 'javascript:alert(1)'", "webhook_url", "is not an http(s) URL"),
    (RECIPIENTS, RECIPIENTS + "\nwebhook_url: 'https://x.example/\\r\\nHost: y'", "webhook_url", "is not a URL"),
    # A YAML escape makes a lone surrogate, which no answer can encode: the field is named with it escaped (was 500).
    (RECIPIENTS, RECIPIENTS + '\n"x\\ud933": 1', "x\\ud933", "field name: control character U+D933"),
]


def bad_file(old: str, new: str) -> str:
    assert old in REFERENCE
    return REFERENCE.replace(old, new, 1)


@pytest.mark.parametrize(("old", "new", "field", "problem"), BAD_FILES)
async def test_a_bad_contract_file_is_a_422_naming_the_field_and_stores_nothing(
    client: AsyncTestClient[Litestar], db: Any, old: str, new: str, field: str, problem: str
) -> None:
    manager = bearer(await token(db, "manager"))
    response = await client.post("/api/contracts", content=bad_file(old, new).encode(), headers=manager)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert problem in error["problem"]
    assert (await client.get("/api/contracts", headers=manager)).json() == []


@pytest.mark.parametrize(("old", "new", "field", "problem"), [BAD_FILES[0], BAD_FILES[3], BAD_FILES[10]])
def test_the_cli_names_the_field_of_a_bad_file(
    cli: CliRunner, tmp_path: Path, old: str, new: str, field: str, problem: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(bad_file(old, new), encoding="utf-8")
    result = cli.invoke(main, ["contract", "load", str(bad)])
    assert result.exit_code == 2, result.output
    assert f"{bad}: {field}: " in result.output
    assert problem in result.output
    assert "Traceback" not in result.output
    assert cli.invoke(main, ["contract", "export", "reference"]).exit_code != 0  # nothing was stored


async def test_six_simultaneous_loads_of_one_new_contract_never_fail(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    manager = bearer(await token(db, "manager"))
    body = REFERENCE.encode()
    responses = await asyncio.gather(*(client.post("/api/contracts", content=body, headers=manager) for _ in range(6)))
    statuses = sorted(r.json()["status"] for r in responses if r.status_code == 200)
    assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
    assert statuses.count("created") == 1
    assert set(statuses) <= {"created", "unchanged"}
    listed = (await client.get("/api/contracts", headers=manager)).json()
    assert [c["code"] for c in listed] == ["reference"]
    changes = (await client.get("/api/contracts/reference/changes", headers=manager)).json()
    assert len(changes) == 1


async def test_six_loads_racing_on_their_own_connections_store_one_contract(db: Any) -> None:
    """The race of `ops serve --workers 2`: each load on its own connection reads "no such contract", then all
    insert; the unique codes let one win and the others load onto its row."""
    contract = parse_contract(REFERENCE, "race")

    async def load() -> LoadResult | ConflictError:
        try:
            async with db.begin() as session:
                return await load_contract(session, contract=contract, source="api", actor="race")
        except ConflictError as exc:
            return exc

    results = await asyncio.gather(*(load() for _ in range(6)))
    # Before: the five losers got a 409 naming nothing ("contract 'reference': "); now they get the stored row.
    assert sorted(r.status for r in results if isinstance(r, LoadResult)) == ["created"] + ["unchanged"] * 5, results
    async with db() as session:
        assert [c.code for c in await list_contracts(session, principal=Principal(0, "m", "manager", None, None))] == [
            "reference"
        ]


async def test_a_nul_in_a_path_or_query_parameter_is_a_422_naming_it(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    """PostgreSQL refuses NUL in a compared text as much as in a stored one: it was a 500 on every lookup."""
    manager = bearer(await token(db, "manager"))
    by_path = await client.get("/api/contracts/refer%00ence", headers=manager)
    assert by_path.status_code == 422, by_path.text
    assert by_path.json()["errors"][0]["field"] == "code"
    by_query = await client.get("/api/tickets", params={"contract": "ref\x00", "limit": 5}, headers=manager)
    assert by_query.status_code == 422, by_query.text
    assert by_query.json()["errors"] == [
        {"field": "contract", "problem": "control character U+0000 at position 3 is not allowed"}
    ]
    assert (await client.get("/api/contracts/nobody", headers=manager)).status_code == 404


@pytest.mark.parametrize("ticket_id", ["3000000000", "99999999999999999999"])
async def test_an_id_past_the_integer_columns_is_a_422_naming_it(
    client: AsyncTestClient[Litestar], db: Any, ticket_id: str
) -> None:
    """Row ids are 32-bit columns: PostgreSQL refused a larger parameter with a 500 (and SQLite 10**20)."""
    manager = bearer(await token(db, "manager"))
    for method, path in (("GET", f"/api/tickets/{ticket_id}"), ("POST", f"/api/incidents/{ticket_id}/resolve")):
        response = await client.request(method, path, headers=manager)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["field"] in ("ticket_id", "id")
    assert (await client.get("/api/tickets/2147483647", headers=manager)).status_code == 404


def test_counts_in_a_contract_file_fit_their_columns(cli: CliRunner, tmp_path: Path) -> None:
    """base_positions: 3000000000 was stored as is on SQLite and a 500 on PostgreSQL's integer column."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(bad_file("base_positions: 15", "base_positions: 3000000000"), encoding="utf-8")
    result = cli.invoke(main, ["contract", "load", str(bad)])
    assert result.exit_code == 2
    assert "base_positions: Expected `int` <= 1000000" in result.output


async def test_a_billion_laughs_contract_file_is_refused_at_once(client: AsyncTestClient[Litestar], db: Any) -> None:
    """Nine lines of YAML aliases hold 10**9 values: refused by count, before anything walks them all."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    # Inside a free-form section, which msgspec would walk value by value.
    body = REFERENCE.replace("\npenalties:\n", "\npenalties:\n  " + "\n  ".join(lines) + "\n", 1)
    manager = bearer(await token(db, "manager"))
    response = await client.post("/api/contracts", content=body.encode(), headers=manager)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "body", "problem": "more than 100,000 values"}]
