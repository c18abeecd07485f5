"""On-call shifts the manager records: added, ended early and listed with their billable hours, through the API,
the command line and the staffing page, and who may do what."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.cli.main import main
from ops.contracts.models import Contract
from ops.staffing.planning.models import OnCallShift
from ops.staffing.planning.oncall_requests import oncall_shifts
from tests.helpers import bearer, load_reference, sign_in, token

Client = AsyncTestClient[Litestar]
API = "/api/staffing/reference"
SAT_08, SAT_18 = "2026-03-07T08:00:00-03:00", "2026-03-07T18:00:00-03:00"  # 7 March 2026 is a Saturday


@pytest.fixture
async def manager(client: Client, db: Any) -> dict[str, str]:
    await load_reference(db)
    return bearer(await token(db, "manager"))


async def add(client: Client, headers: dict[str, str], **body: Any) -> Any:
    return await client.post(f"{API}/oncall", json={"start": SAT_08, "end": SAT_18, **body}, headers=headers)


async def count(db: Any) -> int:
    async with db() as session:
        return int((await session.execute(select(func.count()).select_from(OnCallShift))).scalar_one())


async def test_the_domain_examples_bill_10_5_and_4_hours(client: Client, db: Any, manager: dict[str, str]) -> None:
    """DOMAIN.md: Saturday 08:00-18:00 bills 10 h; ended at 13:00 bills 5 h; ended at 10:00 bills 4 h."""
    ids = []
    for note in ("full", "ended 13:00", "ended 10:00"):
        created = await add(client, manager, note=note)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    first = created.json()
    assert (first["start"], first["scheduled_end"], first["ended_at"]) == (SAT_08, SAT_18, None)
    assert first["created_by"].startswith("token:")
    for shift_id, at in ((ids[1], "2026-03-07T13:00:00-03:00"), (ids[2], "2026-03-07T10:00:00-03:00")):
        ended = await client.post(f"{API}/oncall/{shift_id}/end", json={"at": at}, headers=manager)
        assert ended.status_code == 200, ended.text
        assert ended.json()["ended_at"] == at
    listed = await client.get(f"{API}/oncall", params={"month": "2026-03"}, headers=manager)
    assert listed.status_code == 200
    assert [(s["note"], Decimal(s["hours"]), s["periods"]) for s in listed.json()] == [
        ("full", Decimal(10), ["10.0000"]),
        ("ended 13:00", Decimal(5), ["5.0000"]),
        ("ended 10:00", Decimal(4), ["4.0000"]),
    ]
    again = await client.post(f"{API}/oncall/{ids[1]}/end", json={"at": "2026-03-07T12:00:00-03:00"}, headers=manager)
    assert again.status_code == 409
    assert "already ended at 2026-03-07T13:00:00-03:00 (by token:" in again.json()["detail"]


async def test_minimums_by_weekday_and_holiday_and_long_shifts_per_24_hours(
    client: Client, db: Any, manager: dict[str, str]
) -> None:
    cases = [
        ("2026-03-02T20:00:00-03:00", "2026-03-02T21:00:00-03:00", 1),  # Monday: 2 h minimum
        ("2026-04-21T20:00:00-03:00", "2026-04-21T21:00:00-03:00", 1),  # Tiradentes (a Tuesday): 4 h
        ("2026-03-13T20:00:00-03:00", "2026-03-15T20:00:00-03:00", 2),  # Friday to Sunday, two specialists
    ]
    for start, end, specialists in cases:
        assert (await add(client, manager, start=start, end=end, specialists=specialists)).status_code == 201
    march = (await client.get(f"{API}/oncall", params={"month": "2026-03"}, headers=manager)).json()
    april = (await client.get(f"{API}/oncall", params={"month": "2026-04"}, headers=manager)).json()
    assert [(s["periods"], Decimal(s["specialist_hours"])) for s in march] == [
        (["2.0000"], Decimal(2)),
        (["24.0000", "24.0000"], Decimal(96)),
    ]
    assert [(s["periods"], Decimal(s["hours"])) for s in april] == [(["4.0000"], Decimal(4))]
    async with db() as session:
        contract_id = (await session.execute(select(Contract.id).where(Contract.code == "reference"))).scalar_one()
        window = await oncall_shifts(
            session,
            contract_id=contract_id,
            start=datetime(2026, 3, 13, 23, tzinfo=UTC),
            end=datetime(2026, 4, 1, 3, tzinfo=UTC),
        )
    assert [s.specialists for s in window] == [2]  # the billing read: starts in [start, end)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2026-03-07T08:00:00"}, "start"),  # no offset: the API does not guess a zone
        ({"end": "2026-03-07T08:00:00-03:00"}, "end"),
        ({"end": "2026-03-07T07:00:00-03:00"}, "end"),
        ({"end": "2026-03-21T08:00:01-03:00"}, "end"),  # over 14 days
        ({"specialists": 0}, "specialists"),
        ({"specialists": 51}, "specialists"),
    ],
)
async def test_bad_shifts_are_refused_naming_the_field(
    client: Client, db: Any, manager: dict[str, str], body: dict[str, Any], field: str
) -> None:
    refused = await add(client, manager, **body)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert await count(db) == 0


async def test_an_early_end_must_fall_inside_the_shift(client: Client, db: Any, manager: dict[str, str]) -> None:
    shift_id = (await add(client, manager)).json()["id"]
    for at in ("2026-03-07T08:00:00-03:00", "2026-03-07T18:00:01-03:00", "2026-03-07T12:00:00"):
        refused = await client.post(f"{API}/oncall/{shift_id}/end", json={"at": at}, headers=manager)
        assert refused.status_code == 422, (at, refused.text)
        assert refused.json()["errors"][0]["field"] == "at"
    at_the_end = await client.post(f"{API}/oncall/{shift_id}/end", json={"at": SAT_18}, headers=manager)
    assert at_the_end.status_code == 200
    assert Decimal(at_the_end.json()["hours"]) == Decimal(10)
    missing = await client.post(f"{API}/oncall/999/end", json={"at": SAT_18}, headers=manager)
    assert missing.status_code == 404
    bad_month = await client.get(f"{API}/oncall", params={"month": "2026-13"}, headers=manager)
    assert bad_month.status_code == 422
    assert bad_month.json()["errors"] == [{"field": "month", "problem": "not a month YYYY-MM"}]


async def test_who_may_record_and_read_on_call_shifts(client: Client, db: Any, manager: dict[str, str]) -> None:
    await load_reference(db, code="other")
    shift_id = (await add(client, manager)).json()["id"]
    client_token = bearer(await token(db, "client", "reference"))
    supervisor = bearer(await token(db, "supervisor", "reference"))
    other_manager = bearer(await token(db, "manager", "other"))
    month = {"month": "2026-03"}
    assert (await client.get(f"{API}/oncall", params=month, headers=client_token)).status_code == 403
    assert (await add(client, client_token)).status_code == 403
    assert (await client.get(f"{API}/oncall", params=month, headers=supervisor)).status_code == 200
    assert (await add(client, supervisor)).status_code == 403
    # Another contract's manager: the reference contract and its shift do not exist for them.
    assert (await client.get(f"{API}/oncall", params=month, headers=other_manager)).status_code == 404
    assert (await add(client, other_manager)).status_code == 404
    for path in (f"{API}/oncall/{shift_id}/end", f"/api/staffing/other/oncall/{shift_id}/end"):
        response = await client.post(path, json={"at": "2026-03-07T12:00:00-03:00"}, headers=other_manager)
        assert response.status_code == 404, path
    # Even a provider manager reaches a shift only under its own contract's code.
    wrong = await client.post(
        f"/api/staffing/other/oncall/{shift_id}/end", json={"at": "2026-03-07T12:00:00-03:00"}, headers=manager
    )
    assert wrong.status_code == 404
    own = await client.get("/api/staffing/other/oncall", params=month, headers=other_manager)
    assert own.json() == []
    async with db() as session:
        row = await session.get(OnCallShift, shift_id)
        assert row is not None and row.ended_at is None


async def test_the_staffing_page_lists_and_records_on_call_shifts(client: Client, db: Any) -> None:
    await load_reference(db)
    await sign_in(client, await token(db, "manager"))
    week = {"contract": "reference", "week": "2026-03-02"}
    posted = {"contract": "reference", "week_of": "2026-03-02"}  # the forms' own name for the week shown
    empty = await client.get("/staffing", params=week, headers={"accept-language": "pt-BR"})
    assert "Nenhum sobreaviso neste mês." in empty.text
    form = {
        **posted,
        "start": "2026-03-07T08:00",
        "end": "2026-03-07T18:00",
        "specialists": "2",
        "note": "Black Friday",
    }
    added = await client.post("/staffing/oncall", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    assert added.headers["location"] == "/staffing?contract=reference&week=2026-03-02#oncall"
    shown = await client.get("/staffing", params=week, headers={"accept-language": "en"})
    assert "On-call shifts of the month" in shown.text and "Black Friday" in shown.text
    assert '<td class="num hours">10</td>' in shown.text
    async with db() as session:
        row = (await session.execute(select(OnCallShift))).scalar_one()
        assert row.start == datetime(2026, 3, 7, 11, tzinfo=UTC)  # the form's wall clock is São Paulo's
    ended = await client.post(f"/staffing/oncall/{row.id}/end", data={**posted, "at": "2026-03-07T10:00"})
    assert ended.status_code == 200  # followed to the page
    assert '<td class="num hours">4</td>' in ended.text
    bad = await client.post(
        "/staffing/oncall", data={**form, "end": "2026-03-07T07:00"}, headers={"accept-language": "pt-BR"}
    )
    assert bad.status_code == 422
    assert "Informe o fim como data e hora depois do início; um sobreaviso dura no máximo 14 dias." in bad.text
    assert "<b>end</b>" in bad.text  # and the service's own words below
    for far in ("0001-01-01T00:00", "9999-12-31T23:00"):  # outside the input window: named, not stored (or a 500)
        refused = await client.post("/staffing/oncall", data={**form, "start": far}, follow_redirects=False)
        assert refused.status_code == 422 and f"{far[:10]}" in refused.text and "is outside" in refused.text
    assert await count(db) == 1


def test_the_command_line_adds_ends_and_lists_shifts_in_the_contracts_time(reference_cli: CliRunner) -> None:
    cli = reference_cli
    added = cli.invoke(
        main, ["oncall", "add", "--contract", "reference", "--start", "2026-03-07T08:00", "--end", "2026-03-07T18:00"]
    )
    assert added.exit_code == 0, added.output
    shift_id = int(added.stdout.strip())
    ended = cli.invoke(main, ["oncall", "end", str(shift_id), "--at", "2026-03-07T13:00"])
    assert ended.exit_code == 0, ended.output
    assert ended.stdout.strip() == f"on-call shift {shift_id} ended at 2026-03-07T13:00:00-03:00"
    two = cli.invoke(
        main,
        [
            *("oncall", "add", "--contract", "reference", "--start", "2026-03-13T20:00:00-03:00"),
            *("--end", "2026-03-15T20:00:00-03:00", "--specialists", "2", "--note", "fim de semana"),
        ],
    )
    assert two.exit_code == 0, two.output
    listed = cli.invoke(main, ["oncall", "list", "--contract", "reference", "--month", "2026-03", "--json"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["start"], r["ended_at"], r["hours"], r["specialist_hours"]) for r in rows] == [
        ("2026-03-07T08:00:00-03:00", "2026-03-07T13:00:00-03:00", "5.0000", "5.0000"),
        ("2026-03-13T20:00:00-03:00", None, "48.0000", "96.0000"),
    ]
    text = cli.invoke(main, ["oncall", "list", "--contract", "reference", "--month", "2026-03"]).stdout
    assert "2026-03-07 08:00 to 2026-03-07 18:00, ended 2026-03-07 13:00  1 × 5 h" in text
    assert "2 × 48 h (24 + 24)  fim de semana" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--contract", "reference", "--start", "amanhã", "--end", "2026-03-07T18:00"], "not an ISO time"),
        (["add", "--contract", "reference", "--start", "2026-03-07T18:00", "--end", "2026-03-07T08:00"], "end:"),
        (
            [
                *("add", "--contract", "reference", "--start", "2026-03-07T08:00"),
                *("--end", "2026-03-07T18:00", "--specialists", "0"),
            ],
            "specialists:",
        ),
        (["add", "--contract", "nope", "--start", "2026-03-07T08:00", "--end", "2026-03-07T18:00"], "no contract"),
        (["end", "42", "--at", "2026-03-07T13:00"], "no on-call shift 42"),
        (["list", "--contract", "reference", "--month", "março"], "month:"),
    ],
)
def test_the_command_line_refuses_bad_input_without_a_traceback(
    reference_cli: CliRunner, args: list[str], message: str
) -> None:
    result = reference_cli.invoke(main, ["oncall", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_ending_twice_on_the_command_line_says_so(reference_cli: CliRunner) -> None:
    start = ["--start", "2026-03-07T08:00", "--end", "2026-03-07T18:00"]
    shift_id = reference_cli.invoke(main, ["oncall", "add", "--contract", "reference", *start]).stdout.strip()
    assert reference_cli.invoke(main, ["oncall", "end", shift_id, "--at", "2026-03-07T10:00"]).exit_code == 0
    again = reference_cli.invoke(main, ["oncall", "end", shift_id, "--at", "2026-03-07T11:00"])
    assert again.exit_code == 2
    assert "already ended" in again.stderr


def test_the_same_shift_added_twice_on_the_command_line_is_recorded_once(reference_cli: CliRunner) -> None:
    """A retry (the same start, end and specialists) prints the recorded shift's id; --again records a second team."""
    add = ["oncall", "add", "--contract", "reference", "--start", "2026-03-07T08:00", "--end", "2026-03-07T18:00"]
    first = reference_cli.invoke(main, add)
    retry = reference_cli.invoke(main, [*add[:-2], "--end", "2026-03-07T18:00:00-03:00"])  # the same instant
    assert (retry.exit_code, retry.stdout) == (0, first.stdout)
    assert f"on-call shift {first.stdout.strip()} has this start, end and specialists already" in retry.stderr
    more = reference_cli.invoke(main, [*add, "--specialists", "2"])
    second = reference_cli.invoke(main, [*add, "--again"])
    assert more.exit_code == second.exit_code == 0 and len({first.stdout, more.stdout, second.stdout}) == 3
    listed = reference_cli.invoke(main, ["oncall", "list", "--contract", "reference", "--month", "2026-03", "--json"])
    assert len(listed.stdout.splitlines()) == 3
