"""Refused, missing and invalid requests on the pages answer an HTML page in the reader's language with the real
status (403 wrong role, 404 unknown contract / ticket / queue, 422 a bad query or form value), never the API's
JSON; the API keeps its JSON. One test per page route of the access matrix, asked for in Argentine Spanish."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from tests.integration import test_access_matrix as matrix
from tests.integration.test_access_matrix import ALLOWED, GUARDED, NEEDS_AGENT, Route, World, fill, in_module_loop

world = matrix.world  # the access matrix's two-contract app, seeded once for this module

PAGES = [r for r in GUARDED if not r.is_api]
SPANISH = {"accept-language": "es-AR,es;q=0.9"}
KEYS = {"manager": "all:manager", "supervisor": "reference:supervisor", "agent": "reference:agent"}
KEYS["client"] = "reference:client"

# operation -> (path values replaced, query, form) naming what does not exist. A page with nothing to name (its
# own user's home, a list) is in NOTHING_TO_NAME: a new page route fails here until it is in one or the other.
NOT_FOUND: dict[str, tuple[dict[str, Any], dict[str, str], dict[str, str] | None]] = {
    "WorkTicket": ({"ticket": 999999}, {}, None),
    "WorkTicketAct": ({"ticket": 999999}, {}, {"action": "note", "version": "1", "message": "x"}),
    "WorkQueue": ({"queue": "no_such_queue"}, {}, None),
    "WorkEvents": ({}, {"ticket": "999999"}, None),
    "SupervisorForceStatus": ({"agent": 999999}, {}, {"status": "busy", "note": "x"}),
    "SupervisorBulk": ({}, {}, {"action": "assign", "agent": "1", "ticket_999999": "1"}),
    "SupervisorExtendIncident": ({"incident": 999999}, {}, {"forecast_end": "2026-03-02T20:30"}),
    "SupervisorResolveIncident": ({"incident": 999999}, {}, {}),
    "SupervisorDeleteView": ({}, {}, {"view": "999999"}),
    "PortalPage": ({}, {"contract": "no_such_contract"}, None),
    "PortalBillingPage": ({}, {"contract": "no_such_contract"}, None),
    "StaffingAddOnCall": (
        {},
        {},
        {"contract": "no_such_contract", "start": "2026-02-07T08:00", "end": "2026-02-07T18:00"},
    ),
    "StaffingEndOnCall": ({"oncall": 999999}, {}, {"contract": "reference", "at": "2026-02-14T12:00"}),
    "StaffingConfirmWeek": ({}, {}, {"contract": "no_such_contract", "week_of": "2026-02-23"}),
    "BillingDraft": ({}, {}, {"contract": "no_such_contract", "month": "2026-01"}),
    "BillingSubmit": ({}, {}, {"contract": "no_such_contract", "month": "2026-01"}),
    "BillingRecordApproval": ({}, {}, {"contract": "no_such_contract", "month": "2026-01", "by": "x"}),
    "BillingIssueInvoice": ({}, {}, {"contract": "no_such_contract", "month": "2026-01"}),
    "BillingRecordPayment": (
        {},
        {},
        {"contract": "no_such_contract", "month": "2026-01", "invoice": "1", "paid_on": "2026-02-01", "amount": "1,00"},
    ),
    "PortalApproveMeasurement": ({}, {}, {"contract": "no_such_contract", "month": "2026-01"}),
    "PortalContestMeasurement": ({}, {}, {"contract": "no_such_contract", "month": "2026-01"}),
    "BillingIssueCreditNote": (
        {},
        {},
        {"contract": "no_such_contract", "month": "2026-01", "invoice": "1", "amount": "1,00", "reason": "x"},
    ),
    "BillingRecordNfse": (
        {},
        {},
        {"contract": "no_such_contract", "month": "2026-01", "invoice": "1", "number": "1", "value": "1,00"},
    ),
    "BillingVoidInvoice": ({}, {}, {"contract": "no_such_contract", "month": "2026-01", "invoice": "1", "reason": "x"}),
    "BillingOpenDispute": (
        {},
        {},
        {"contract": "no_such_contract", "month": "2026-01", "description": "x", "disputed": "1,00"},
    ),
    "BillingAdvanceDispute": (
        {},
        {},
        {"contract": "no_such_contract", "month": "2026-01", "dispute": "1", "to": "refused", "reason": "x"},
    ),
    "PortalOpenDispute": (
        {},
        {},
        {"contract": "no_such_contract", "invoice": "1", "description": "x", "disputed": "1,00"},
    ),
    "PortalSubmitDispute": ({}, {}, {"contract": "no_such_contract", "dispute": "1", "state": "opened"}),
    "WallboardPage": ({}, {"contract": "no_such_contract"}, None),
}
# operation -> (query, form) with a value that cannot be used.
INVALID: dict[str, tuple[dict[str, str], dict[str, str] | None]] = {
    "PortalPage": ({"contract": "reference", "month": "2026-99"}, None),
    "StaffingPage": ({"week": "2026-13-45"}, None),
    "BillingPage": ({"month": "2026-99"}, None),
    "WorkTicketAct": ({}, {"action": "note", "version": "abc", "message": "x"}),
    "WorkSetStatus": ({}, {"status": "dancing"}),
    "WorkEvents": ({"ticket": "abc"}, None),
    "SupervisorView": ({"due_within": "soon"}, None),
    "SupervisorForceStatus": ({}, {"status": "dancing", "note": "x"}),
    "SupervisorBulk": ({}, {"action": "dance"}),
    "SupervisorExtendIncident": ({}, {"forecast_end": "soon"}),
    "SupervisorSaveView": ({}, {"name": "", "back": ""}),
    "SupervisorDeleteView": ({}, {"view": "abc"}),
    "StaffingAddOnCall": ({}, {"contract": "reference", "start": "tomorrow", "end": "2026-02-07T18:00"}),
    "StaffingEndOnCall": ({}, {"contract": "reference", "at": "soon"}),
    "StaffingConfirmWeek": ({}, {"contract": "reference", "week_of": "2026-13-45"}),
    "BillingDraft": ({}, {"contract": "reference", "month": "2026-99"}),
    "BillingSubmit": ({}, {"contract": "reference", "month": "2026-99"}),
    "BillingRecordApproval": ({}, {"contract": "reference", "month": "2026-99", "by": "x"}),
    "BillingIssueInvoice": ({}, {"contract": "reference", "month": "2026-99"}),
    "BillingRecordPayment": (
        {},
        {"contract": "reference", "month": "2026-01", "invoice": "1", "paid_on": "2026-02-01", "amount": "lots"},
    ),
    "PortalApproveMeasurement": ({}, {"contract": "reference", "month": "2026-99"}),
    "PortalContestMeasurement": ({}, {"contract": "reference", "month": "2026-99"}),
    "BillingIssueCreditNote": (
        {},
        {"contract": "reference", "month": "2026-99", "invoice": "1", "amount": "1,00", "reason": "x"},
    ),
    "BillingRecordNfse": ({}, {"contract": "reference", "month": "2026-99", "invoice": "1", "value": "1,00"}),
    "BillingVoidInvoice": ({}, {"contract": "reference", "month": "2026-99", "invoice": "1", "reason": "x"}),
    "BillingOpenDispute": ({}, {"contract": "reference", "month": "2026-01", "description": "x", "disputed": "lots"}),
    "BillingAdvanceDispute": ({}, {"contract": "reference", "month": "2026-01", "dispute": "x", "to": "refused"}),
    "PortalOpenDispute": ({}, {"contract": "reference", "invoice": "1", "description": "x", "disputed": "lots"}),
    "PortalSubmitDispute": ({}, {"contract": "reference", "dispute": "x", "state": "opened"}),
}
NOTHING_TO_NAME = {
    "Home",
    "WorkHome",
    "SupervisorView",
    "StaffingPage",
    "BillingPage",
    "WorkNextTicket",
    "WorkSetStatus",
    "SupervisorSaveView",
}
# Pages that read no value but what they name (the 404 above covers those).
NO_INPUT = {"Home", "WorkHome", "WorkQueue", "WorkTicket", "WorkNextTicket", "PortalBillingPage", "WallboardPage"}
NO_INPUT |= {"SupervisorResolveIncident"}


def allowed_key(route: Route) -> str:
    return next(
        KEYS[role]
        for role in ("manager", "agent", "supervisor", "client")
        if role in ALLOWED[route.operation] and not (route.operation in NEEDS_AGENT and role != "agent")
    )


async def ask(
    world: World,
    route: Route,
    key: str,
    *,
    values: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> httpx.Response:
    path, _ = fill(route, {**world.ref, **(values or {})})
    headers = {"Authorization": f"Bearer {world.tokens[key]}", **SPANISH}
    return await world.client.request(
        route.method, path, params=query or {}, data=form, headers=headers, follow_redirects=False
    )


def in_spanish(response: httpx.Response, status: int, title: str | None, *, signed_in: bool = True) -> None:
    """An HTML page at `status` in Spanish: the error page's title, or the page shown again with its error."""
    where = (response.request.method, str(response.request.url), response.status_code, response.text[:400])
    assert response.status_code == status, where
    assert response.headers["content-type"].startswith("text/html"), where
    assert '<html lang="es">' in response.text, where
    assert "Salir" in response.text or not signed_in, where  # the frame's words too (sign out)
    if title is not None and 'class="card error-page"' in response.text:
        assert f'<h1 id="error-title">{title}</h1>' in response.text, where


@in_module_loop
@pytest.mark.parametrize("route", PAGES, ids=lambda r: r.id)
async def test_a_wrong_role_meets_a_403_page_in_its_language(world: World, route: Route) -> None:
    refused = [r for r in ("manager", "supervisor", "agent", "client") if r not in ALLOWED[route.operation]]
    if not refused:
        pytest.skip("every role may open this page")
    response = await ask(world, route, KEYS[refused[0]])
    in_spanish(response, 403, "Acceso no permitido")
    assert 'class="card error-page"' in response.text
    assert "Su acceso no permite abrir esta página." in response.text


@in_module_loop
@pytest.mark.parametrize("route", PAGES, ids=lambda r: r.id)
async def test_an_unknown_contract_or_ticket_meets_a_404_page(world: World, route: Route) -> None:
    if route.operation in NOTHING_TO_NAME:
        assert route.operation not in NOT_FOUND
        pytest.skip("this page names nothing that could be missing")
    assert route.operation in NOT_FOUND, f"say in NOT_FOUND how {route.id} names something that does not exist"
    values, query, form = NOT_FOUND[route.operation]
    response = await ask(world, route, allowed_key(route), values=values, query=query, form=form)
    in_spanish(response, 404, "No encontrado")
    assert 'id="error-detail"' not in response.text  # no English wording of what is missing


@in_module_loop
@pytest.mark.parametrize("route", PAGES, ids=lambda r: r.id)
async def test_a_bad_query_or_form_value_meets_a_422_page(world: World, route: Route) -> None:
    if route.operation in NO_INPUT:
        assert route.operation not in INVALID
        pytest.skip("this page reads no other value from its query or form")
    assert route.operation in INVALID, f"say in INVALID which bad value {route.id} refuses"
    query, form = INVALID[route.operation]
    response = await ask(world, route, allowed_key(route), query=query, form=form)
    in_spanish(response, 422, "Valor inválido")
    if 'class="card error-page"' in response.text:  # the error page names the value that is wrong
        assert 'id="error-detail"' in response.text
        assert any(value in response.text for value in query.values() if value != "reference"), response.text


@in_module_loop
async def test_the_api_keeps_its_json_and_a_page_asked_the_wrong_way_is_a_page(world: World) -> None:
    agent = {"Authorization": f"Bearer {world.tokens['reference:agent']}", **SPANISH}
    api = await world.client.get("/api/tickets/999999", headers=agent)
    assert (api.status_code, api.headers["content-type"]) == (404, "application/json")
    assert api.json()["detail"]
    refused = await world.client.get("/api/agents", headers=agent)
    assert refused.status_code == 403 and refused.json()["detail"]
    bad = await world.client.get("/api/tickets", params={"limit": "lots"}, headers=agent)
    assert bad.status_code == 422 and bad.json()["errors"] == [
        {"field": "limit", "problem": "'lots' is not a whole number"}
    ]
    # Opening the next-ticket form's address (POST only) in the browser: a 405 page, with a way back to /work.
    wrong_way = await world.client.get("/work/next", headers={**agent, "referer": "http://testserver.local/work"})
    in_spanish(wrong_way, 405, "No disponible de esta forma", signed_in=False)  # routing answers before sign-in
    assert "POST" in wrong_way.headers["allow"]
    assert 'href="/work" id="error-back"' in wrong_way.text
    # An unknown page address, in Portuguese for a Brazilian browser, English for another.
    for language, title in (("pt-BR,pt;q=0.9", "Não encontrado"), ("en-US", "Not found")):
        missing = await world.client.get("/no/such/page", headers={**agent, "accept-language": language})
        assert missing.status_code == 404
        assert f'<h1 id="error-title">{title}</h1>' in missing.text


@in_module_loop
async def test_a_browser_asking_for_spanish_gets_the_work_page_in_spanish(world: World) -> None:
    agent = {"Authorization": f"Bearer {world.tokens['reference:agent']}", **SPANISH}
    response = await world.client.get("/work", headers=agent)
    assert response.status_code == 200
    for words in ("Mi trabajo", "Mis tickets", "Próximo ticket", "Cola", "Vencen en 1 h", "Mi estado", "Cambiar"):
        assert words in response.text, words
    assert "My work" not in response.text and "Meu trabalho" not in response.text


@in_module_loop
async def test_switching_language_comes_back_to_the_same_page_and_query(world: World) -> None:
    manager = {"Authorization": f"Bearer {world.tokens['all:manager']}"}
    shown = await world.client.get("/portal", params={"contract": "reference", "month": "2026-02"}, headers=manager)
    back = re.search(r'name="next" value="([^"]+)"', shown.text)
    assert back is not None and html.unescape(back.group(1)) == "/portal?contract=reference&month=2026-02"
    next_page = html.unescape(back.group(1))
    switched = await world.client.post("/lang", data={"lang": "es", "next": next_page}, follow_redirects=False)
    world.client.cookies.clear()
    assert switched.headers["location"] == "/portal?contract=reference&month=2026-02"
    # A form's failure is shown at the form's (POST-only) address: the switch goes back to the page it was on.
    agent = {"Authorization": f"Bearer {world.tokens['reference:agent']}"}
    failed = await world.client.post("/work/status", data={"status": "dancing"}, headers=agent)
    assert failed.status_code == 422
    assert 'name="next" value="/work"' in failed.text
    ticket = world.ref["ticket"]
    act = {"action": "note", "version": "abc"}
    failed = await world.client.post(f"/work/tickets/{ticket}", data=act, headers=agent)
    assert f'name="next" value="/work/tickets/{ticket}"' in failed.text
    manager = {"Authorization": f"Bearer {world.tokens['all:manager']}"}
    form = {"contract": "reference", "week_of": "2026-02-23", "start": "tomorrow", "end": "2026-02-07T18:00"}
    failed = await world.client.post("/staffing/oncall", data=form, headers=manager)
    assert failed.status_code == 422
    assert 'name="next" value="/staffing?contract=reference&amp;week=2026-02-23"' in failed.text
