"""In a real browser: a manager sees the forecast against the actual calls, computes the week's plan while
its progress shows, reads required against base against planned, and tries a what-if without saving it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

TODAY = date(2026, 11, 23)  # the demo month runs up to the day before: the page opens on the week of 16 Nov


async def _seed_staffing(database_url: str) -> str:
    """The demo's month of voice statistics and a manager token, next to what the server fixture stored."""
    from ops.auth import issue_token
    from ops.composition import import_models
    from ops.contracts.services import get_contract
    from ops.db import make_engine, make_sessionmaker
    from ops.demo.prepare import store_voice_month

    import_models()
    engine = make_engine(database_url, pool=False)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        await store_voice_month(session, contract=contract, today=TODAY, seed=7)
        manager = await issue_token(session, name="Marta Reis", role="manager", contract_id=None)
    await engine.dispose()
    return manager


def test_manager_plans_the_week_watches_progress_and_tries_a_what_if(
    live_server: LiveServer, sign_in: Callable[..., Any]
) -> None:
    # Playwright's sync API keeps an event loop running in this thread: seed from another one.
    with ThreadPoolExecutor(1) as pool:
        live_server.tokens["manager"] = pool.submit(asyncio.run, _seed_staffing(live_server.database_url)).result()
    page = sign_in("manager")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.wait_for_url(f"{live_server.url}/staffing")
    page.reload()
    page.wait_for_function("() => window.Plotly !== undefined")

    assert page.locator("input[name=week]").input_value() == "2026-11-16"
    forecast = page.locator("#chart-forecast")
    forecast.locator(".main-svg").first.wait_for()
    legend = forecast.locator(".legendtext").all_text_contents()
    assert "care forecast" in legend
    assert "care actual" in legend
    assert page.locator("#no-plan").is_visible()

    # Record every progress message the page shows while the plan job runs.
    page.evaluate(
        """() => {
        window.progressSeen = [];
        new MutationObserver(() => window.progressSeen.push(document.getElementById('progress-step').textContent))
            .observe(document.getElementById('progress-step'), {childList: true, characterData: true, subtree: true});
    }"""
    )
    page.click("#compute")
    page.wait_for_selector("#fig-status", timeout=30_000)
    assert page.locator("#fig-status").inner_text() == "optimal"
    seen = page.evaluate("() => window.progressSeen")
    assert any(text.startswith("Computing") for text in seen), seen
    assert page.locator("#plan-kind").inner_text() == "saved plan"
    assert int(page.locator("#fig-uncovered").inner_text()) == 0  # the contract's cap of 30 covers the demo week
    gap = float(page.locator("#fig-gap").inner_text().rstrip(" %"))
    assert gap <= 1.0
    assert page.locator("#shifts tbody tr").count() > 5
    # The plan's tables in the page's locale (English here): "Mon, 11/16" and "08:00 AM", not ISO text.
    first = page.locator("#shifts tbody tr").first.locator("td")
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2}/\d{2}", first.nth(0).inner_text()), first.nth(0).inner_text()
    assert re.fullmatch(r"\d{2}:\d{2}\s[AP]M", first.nth(1).inner_text()), first.nth(1).inner_text()
    staffing = page.locator("#chart-staffing")
    staffing.locator(".main-svg").first.wait_for()
    legend = staffing.locator(".legendtext").all_text_contents()
    for trace in ("required", "base", "reinforcement", "uncovered", "predicted SL"):
        assert trace in legend
    saved_cost = page.locator("#fig-cost").inner_text()

    page.fill("input[name=volume_pct]", "120")
    page.click("#whatif-go")
    page.wait_for_function("() => document.getElementById('plan-kind').textContent === 'what-if (not saved)'")
    assert page.locator("#fig-cost").inner_text() != saved_cost
    assert int(page.locator("#fig-uncovered").inner_text()) > 0  # 120 % more calls overflow the cap of 30

    page.reload()
    page.wait_for_selector("#fig-cost")
    assert page.locator("#plan-kind").inner_text() == "saved plan"
    assert page.locator("#fig-cost").inner_text() == saved_cost

    assert requested, "the page made requests"
    assert all(url.startswith(live_server.url) for url in requested), "no CDN: everything from the app"
