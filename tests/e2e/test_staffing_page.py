"""In a real browser: a manager opens the staffing page on next week, reads the forecast with its accuracy over
the last four weeks and the back-office queues' reasons, computes the week's plan while its progress shows, reads
required against base against planned, and tries what-ifs (more calls; a target typed in percent) without saving
them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

TODAY = datetime.now(ZoneInfo("America/Sao_Paulo")).date()  # the contract's today: the demo's calls end yesterday
NEXT_MONDAY = TODAY - timedelta(days=TODAY.weekday()) + timedelta(days=7)


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

    # Next week, the one a planner plans: nothing of it has happened, so the forecast stands alone.
    assert page.locator("input[name=week]").input_value() == NEXT_MONDAY.isoformat()
    forecast = page.locator("#chart-forecast")
    forecast.locator(".main-svg").first.wait_for()
    legend = forecast.locator(".legendtext").all_text_contents()
    assert "Customer care forecast" in legend  # the queue by its name, not its code
    assert "Customer care actual" not in legend
    # Beside it, how the forecast fared over the last four weeks of demo calls.
    care = page.locator('#accuracy tr[data-queue="care"]')
    assert care.locator("td.num").first.inner_text() == "4"
    wape = float(care.locator("td.wape").inner_text().rstrip("%"))
    assert 0 < wape < 30
    assert care.locator("td.bias").inner_text()[0] in "+-"
    # Back office: the server's three care tickets of today are a history to size bo_care by workload; the help
    # desk's back office has none, and the outbound queue no arrivals: each says why it is not planned.
    assert page.locator('#workload-queues tr[data-queue="bo_care"] td.handle').inner_text() == "14"
    reasons = page.locator("#unplanned")
    assert (
        "received no tickets in the weeks before this one"
        in reasons.locator('li[data-queue="bo_helpdesk"]').inner_text()
    )
    assert "makes outbound calls" in reasons.locator('li[data-queue="retention"]').inner_text()
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
    assert saved_cost.startswith("R$"), saved_cost  # the contract's currency, placed by the locale

    page.fill("input[name=volume_pct]", "120")
    page.click("#whatif-go")
    page.wait_for_function("() => document.getElementById('plan-kind').textContent === 'what-if (not saved)'")
    assert page.locator("#fig-cost").inner_text() != saved_cost
    assert int(page.locator("#fig-uncovered").inner_text()) > 0  # 120 % more calls overflow the cap of 30
    what_if_cost = page.locator("#fig-cost").inner_text()

    # The target typed in percent, as a planner says it: 85 for 85 % within 20 s.
    page.fill("input[name=volume_pct]", "0")
    page.fill("input[name=target_pct]", "85")
    page.click("#whatif-go")
    page.wait_for_function("(before) => document.getElementById('fig-cost').textContent !== before", arg=what_if_cost)
    levels = page.locator("#fig-sl-care").inner_text()
    with_plan = float(levels.split("→")[1].strip().rstrip("%"))
    assert with_plan >= 85

    page.reload()
    page.wait_for_selector("#fig-cost")
    assert page.locator("#plan-kind").inner_text() == "saved plan"
    assert page.locator("#fig-cost").inner_text() == saved_cost

    assert requested, "the page made requests"
    assert all(url.startswith(live_server.url) for url in requested), "no CDN: everything from the app"
