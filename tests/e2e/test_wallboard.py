"""In a real browser: the telephony platform posts its queues, a supervisor opens the wallboard from /supervisor in
Portuguese and sees the figures (red service level, amber waits), the board updates itself when the platform posts
again, and the same board reads in Argentine Spanish; no script is refused by the Content-Security-Policy."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import expect

from ops.l10n import Formats
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def telephony_token(database_url: str) -> str:
    async def mint() -> str:
        from ops.composition import import_models
        from ops.db import make_engine, make_sessionmaker
        from tests.helpers import token

        import_models()
        engine = make_engine(database_url, pool=False)
        try:
            return await token(make_sessionmaker(engine), "telephony", "reference", name="Asterisk")
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, mint()).result()


def post(server: LiveServer, token: str, **care: Any) -> None:
    queues = [
        {"queue": "cabonet-care", "calls_waiting": 7, "longest_wait_seconds": 48, "agents_logged_in": 15,
         "agents_available": 2, "agents_on_call": 11, "agents_paused": 2, "answered": 412, "abandoned": 38,
         "answered_within": 331, **care},
        {"queue": "cabonet-tech", "calls_waiting": 0, "longest_wait_seconds": 0, "agents_logged_in": 15,
         "agents_available": 6, "agents_on_call": 9, "agents_paused": 0, "answered": 1200, "abandoned": 20,
         "answered_within": 1100},
    ]  # fmt: skip
    request = urllib.request.Request(  # noqa: S310 - the local test server
        f"{server.url}/api/telephony/queues",
        data=json.dumps({"queues": queues}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200


def figure(page: Any, queue: str, col: str) -> str:
    return str(page.locator(f".wb-queue[data-queue='{queue}'] [data-col='{col}'] .wb-big").inner_text().strip())


def test_the_wallboard_shows_the_posted_figures_in_portuguese_and_spanish(
    live_server: LiveServer, sign_in: Callable[..., Any]
) -> None:
    pbx = telephony_token(live_server.database_url)
    post(live_server, pbx)

    pt = sign_in("supervisor", lang="pt")
    pt.click("#wallboard-link")
    pt.wait_for_url("**/wallboard")
    assert pt.locator("h1").inner_text() == "Painel de filas"
    assert "Nível de serviço hoje" in pt.locator(".wb-queue[data-queue='care']").inner_text()
    brazil = Formats("pt-BR")
    assert figure(pt, "care", "service_level") == brazil.percent(331 / 450)  # 73,6%
    assert figure(pt, "care", "calls_waiting") == "7"
    assert figure(pt, "care", "longest_wait") == "48 s"
    # Under the contract's red line (75 %): red; 7 waiting and 48 s: amber.
    assert "lv-red" in (
        pt.locator(".wb-queue[data-queue='care'] [data-col='service_level']").get_attribute("class") or ""
    )
    assert "lv-amber" in (
        pt.locator(".wb-queue[data-queue='care'] [data-col='calls_waiting']").get_attribute("class") or ""
    )
    assert figure(pt, "helpdesk", "service_level") == brazil.percent(1100 / 1220)
    assert pt.locator(".wb-queue[data-queue='care'] dd[data-col='on_call']").inner_text() == "11"

    # The platform posts again: the board follows by itself, no reload.
    post(live_server, pbx, calls_waiting=12, longest_wait_seconds=75, answered=1500, answered_within=1300)
    waiting = pt.locator(".wb-queue[data-queue='care'] [data-col='calls_waiting'] .wb-big")
    expect(waiting).to_have_text("12", timeout=15_000)  # a locator's wait: the page's CSP runs no eval
    assert figure(pt, "care", "longest_wait") == "75 s"
    assert figure(pt, "care", "service_level") == brazil.percent(1300 / 1538)
    assert "lv-red" in (
        pt.locator(".wb-queue[data-queue='care'] [data-col='calls_waiting']").get_attribute("class") or ""
    )
    assert pt.locator("#board-offline").is_hidden()

    es = sign_in("supervisor", lang="es")
    es.goto(f"{live_server.url}/wallboard")
    assert es.locator("h1").inner_text() == "Tablero de colas"
    care = es.locator(".wb-queue[data-queue='care']").inner_text()
    assert "Nivel de servicio hoy" in care and "Llamadas en espera" in care and "Mayor espera" in care
    assert figure(es, "care", "service_level") == Formats("es-AR").percent(1300 / 1538)
    assert figure(es, "care", "calls_waiting") == "12"
