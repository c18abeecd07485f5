"""Bad input meets one answer on every route (README, the API's errors): a 422 whose `errors` name each field as the
client sent it (the JSON key, the query parameter), whether the route reads its body itself or Litestar's decoder
refuses it (a wrong type, an impossible date, a field missing or unknown); a 400 only for a body that is not JSON at
all, naming `body` and saying what breaks it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.billing.invoices import services as invoices
from tests.helpers import bearer, load_reference, sign_in, token
from tests.integration.billing.factories import measurement

Client = AsyncTestClient[Litestar]
C = "/api/contracts/reference"
JSON = {"content-type": "application/json"}
DATE = "not a valid date (YYYY-MM-DD)"
DATETIME = "not a valid date and time (such as 2026-03-02T08:00:00-03:00)"


@pytest.fixture
async def manager(client: Client, db: Any) -> dict[str, str]:
    """The reference contract with invoice 1 issued, and a manager's token."""
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
        await invoices.issue_invoice(session, code="reference", month="2026-10", actor="test")
    return bearer(await token(db, "manager"))


def assert_refused(response: Any, status: int, errors: list[dict[str, str]]) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["errors"] == errors, body
    assert body["detail"] == "; ".join(f"{e['field']}: {e['problem']}" for e in errors), body
    assert "Validation failed" not in response.text and "extra" not in body


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "problem"),
    [
        ("POST", f"{C}/invoices/1/payments", {"amount": "1.00", "paid_on": "2026-02-30"}, "paid_on", DATE),
        ("POST", f"{C}/invoices/1/payments", {"amount": "lots", "paid_on": "2026-11-02"}, "amount", None),
        ("POST", f"{C}/invoices/1/payments", {"amount": [1], "paid_on": "2026-11-02"}, "amount", None),
        (
            "POST",
            "/api/staffing/reference/oncall",
            {"start": "2026-02-30T08:00:00-03:00", "end": "2026-03-01T08:00:00-03:00"},
            "start",
            DATETIME,
        ),
        (
            "POST",
            f"{C}/disputes",
            {"origin": "manual", "description": "x", "disputed": "1.00", "follow_up": "2026-02-30"},
            "follow_up",
            DATE,
        ),
        ("POST", "/api/staffing/reference/plans", {"week": "2026-02-30"}, "week", DATE),
        ("PATCH", "/api/incidents/1", {"forecast_end": "2026-02-30T10:00:00Z"}, "forecast_end", DATETIME),
        ("POST", f"{C}/disputes", {"origin": "manual", "disputed": "1.00"}, "description", "required"),
        (
            "POST",
            f"{C}/disputes",
            {"origin": "manual", "description": "x", "disputed": "1.00", "bogus": 1},
            "bogus",
            "unknown field",
        ),
        ("POST", f"{C}/disputes", ["origin"], "body", "expected an object, got an array"),
        ("POST", f"{C}/disputes", {"origin": 7, "description": "x", "disputed": "1"}, "origin", None),
    ],
)
async def test_a_body_litestar_cannot_read_is_a_422_naming_the_json_key(
    client: Client, manager: dict[str, str], method: str, path: str, body: Any, field: str, problem: str | None
) -> None:
    response = await client.request(method, path, json=body, headers=manager)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == field
    if problem is not None:
        assert_refused(response, 422, [{"field": field, "problem": problem}])


@pytest.mark.parametrize(
    ("path", "query", "field", "problem"),
    [
        ("/api/staffing/reference/forecast", {"week": "2026-02-30"}, "week", f"'2026-02-30' is {DATE}"),
        ("/api/staffing/reference/forecast", {}, "week", "required"),
        ("/api/staffing/reference/requirement", {"week": "2026-03-02", "volume_pct": "more"}, "volume_pct", None),
        # The handler's parameter is `open_only`; the client sent `open`.
        (f"{C}/disputes", {"open": "maybe"}, "open", "'maybe' is not true or false"),
        ("/api/tickets", {"limit": "lots"}, "limit", "'lots' is not a whole number"),
    ],
)
async def test_a_query_litestar_cannot_read_is_a_422_naming_the_parameter_as_sent(
    client: Client, manager: dict[str, str], path: str, query: dict[str, str], field: str, problem: str | None
) -> None:
    response = await client.get(path, params=query, headers=manager)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    if problem is not None:
        assert_refused(response, 422, [{"field": field, "problem": problem}])


async def test_every_refused_value_is_named_at_once(client: Client, manager: dict[str, str]) -> None:
    query = {"week": "2026-02-30", "volume_pct": "more", "aht_pct": "0"}
    response = await client.get("/api/staffing/reference/requirement", params=query, headers=manager)
    assert response.status_code == 422, response.text
    assert sorted(e["field"] for e in response.json()["errors"]) == ["volume_pct", "week"]


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        (f"{C}/disputes", b'{"origin":', "malformed JSON: Input data was truncated"),
        (f"{C}/invoices/1/payments", b'{"amount": "1.00", "paid_on": ', "malformed JSON: Input data was truncated"),
        (f"{C}/disputes", b'{"origin": "manual", "description": "\\ud800", "disputed": "1"}', None),
        (f"{C}/disputes", b'{"origin": "sem conex\xe3o"}', "not valid UTF-8 at byte 21"),
    ],
)
async def test_a_body_that_is_not_json_is_a_400_naming_body(
    client: Client, manager: dict[str, str], path: str, body: bytes, problem: str | None
) -> None:
    response = await client.post(path, content=body, headers={**manager, **JSON})
    problem = problem or "malformed JSON: a lone surrogate escape (\\ud800) is not valid text"
    assert_refused(response, 400, [{"field": "body", "problem": problem}])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"number": "", "verification_code": "x", "value": "1"}, [{"field": "number", "problem": "empty"}]),
        (
            {"number": "2026/1", "verification_code": " ", "value": "1"},
            [{"field": "verification_code", "problem": "empty"}],
        ),
        (
            {"number": "", "verification_code": "", "value": "1"},
            [{"field": "number", "problem": "empty"}, {"field": "verification_code", "problem": "empty"}],
        ),
    ],
)
async def test_an_empty_nfse_field_is_named_by_its_json_key(
    client: Client, manager: dict[str, str], body: dict[str, str], errors: list[dict[str, str]]
) -> None:
    response = await client.put(f"{C}/invoices/1/nfse", json=body, headers=manager)
    assert_refused(response, 422, errors)


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        (b"code: x\n", "client", "required"),
        (b"code: x\nclient: {code: c, name: n}\nqueues: [{}]\n", "queues[0].code", "required"),
        (b"- a list\n", "body", "a contract file must be a mapping of fields"),
    ],
)
async def test_a_contract_file_names_the_missing_field(
    client: Client, manager: dict[str, str], text: bytes, field: str, problem: str
) -> None:
    response = await client.post(
        "/api/contracts", content=text, headers={**manager, "content-type": "application/yaml"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": field, "problem": problem}]


async def test_a_page_still_answers_a_bad_query_with_its_html_page(client: Client, manager: dict[str, str]) -> None:
    await sign_in(client, manager["Authorization"].removeprefix("Bearer "))
    page = await client.get("/staffing", params={"week": "2026-02-30"}, headers={"accept": "text/html"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "2026-02-30" in page.text
