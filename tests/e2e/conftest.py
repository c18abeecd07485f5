"""Browser tests: the real app served by uvicorn on a free port over a migrated SQLite file, and
Debian's headless chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.web.live_servers import served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    url: str
    database_url: str
    tokens: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)


async def _seed(database_url: str) -> tuple[dict[str, str], dict[str, int]]:
    """The reference contract, an agent, a supervisor and three back-office tickets waiting."""
    from ops.auth import issue_token
    from ops.composition import import_models
    from ops.db import make_engine, make_sessionmaker, utcnow
    from tests.helpers import load_reference
    from tests.integration.queues.factories import make_agent, make_ticket

    import_models()
    engine = make_engine(database_url, pool=False)
    sessionmaker = make_sessionmaker(engine)
    now = utcnow()
    await load_reference(sessionmaker)
    async with sessionmaker.begin() as session:
        ana, ana_token = await make_agent(session, name="Ana Souza", skills={"bo_care": 1})
        boss, _ = await make_agent(session, name="Carla Lima", skills={"bo_care": 1}, supervisor=True)
        supervisor_token = await issue_token(
            session, name="Carla Lima", role="supervisor", contract_id=ana.contract_id, agent_id=boss.id
        )
        urgent = await make_ticket(
            session,
            created_at=now - timedelta(minutes=20),
            priority="high",
            sort_key=100.0,
            subject="Cobrança indevida: taxa de instalação não explicada",
        )
        await make_ticket(
            session, created_at=now - timedelta(hours=2), reason="address_change", subject="Mudança de endereço"
        )
        await make_ticket(
            session, created_at=now - timedelta(minutes=5), reason="speed_upgrade", subject="Upgrade 500 Mb"
        )
    await engine.dispose()
    return {"agent": ana_token, "supervisor": supervisor_token}, {"urgent": urgent.id, "agent": ana.id}


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from ops.migrate import upgrade

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'e2e.sqlite3'}"
    upgrade(database_url)
    # In a thread of its own: Playwright's sync API may already run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        tokens, ids = pool.submit(asyncio.run, _seed(database_url)).result()
    with served(database_url, tmp_path, name="server") as url:
        yield LiveServer(url=url, database_url=database_url, tokens=tokens, ids=ids)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def sign_in(live_server: LiveServer, browser: Any) -> Iterator[Callable[..., Any]]:
    """A new page signed in with the token of `role` (a separate browser context per call). At the end, no page
    may have met a Content-Security-Policy refusal: a blocked script would leave a page silently broken."""
    contexts: list[Any] = []
    refused: list[str] = []

    def note(message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            refused.append(message.text)

    def open_as(role: str, *, lang: str = "en") -> Any:
        context = browser.new_context(
            viewport={"width": 1366, "height": 800}, locale={"pt": "pt-BR", "es": "es-AR"}.get(lang, "en-US")
        )
        contexts.append(context)
        page = context.new_page()
        page.on("console", note)
        page.goto(f"{live_server.url}/login")
        page.fill("#token", live_server.tokens[role])
        page.click("#sign-in")
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert refused == [], refused
