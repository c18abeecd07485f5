"""In a real browser: a client signs in, sees its own scorecard, trends and delivered reports, downloads
one, and cannot reach another contract's portal, data or files."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ops.reports.delivery.services import local_today, period_for
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


async def _seed_reports(database_url: str, reports_dir: Path) -> dict[str, str]:
    """The Anonymous Bank slice in queue care, a stored daily report, a second contract and client tokens."""
    from ops.auth import issue_token
    from ops.composition import import_models
    from ops.config import Settings
    from ops.contracts.services import get_contract
    from ops.db import make_engine, make_sessionmaker
    from ops.reports.delivery.services import prepare_delivery
    from tests.helpers import load_reference
    from tests.integration.reports.conftest import slice_intervals, store_intervals

    import_models()
    engine = make_engine(database_url, pool=False)
    sessionmaker = make_sessionmaker(engine)
    await load_reference(sessionmaker, code="other")
    await store_intervals(sessionmaker, slice_intervals())
    settings = Settings(database_url=database_url, reports_dir=reports_dir)
    async with sessionmaker.begin() as session:
        await prepare_delivery(
            session,
            contract_code="reference",
            delivery="daily",
            start=date(1999, 2, 14),
            end=date(1999, 2, 14),
            settings=settings,
            formats=["csv"],
        )
        reference = await get_contract(session, code="reference", principal=None)
        other = await get_contract(session, code="other", principal=None)
        mine = await issue_token(session, name="Ana Cliente", role="client", contract_id=reference.id)
        theirs = await issue_token(session, name="Bruno Outro", role="client", contract_id=other.id)
    await engine.dispose()
    return {"client": mine, "other_client": theirs}


def test_client_sees_own_reports_and_scorecard_and_cannot_reach_another_contract(
    live_server: LiveServer, sign_in: Callable[..., Any], tmp_path: Path
) -> None:
    reports_dir = tmp_path / "reports"  # the server's OPS_REPORTS_DIR (see conftest)
    with ThreadPoolExecutor(1) as pool:
        live_server.tokens.update(
            pool.submit(asyncio.run, _seed_reports(live_server.database_url, reports_dir)).result()
        )
    page = sign_in("client")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.wait_for_url(f"{live_server.url}/portal")
    # The page opens on the last closed month of the contract; February 1999 (before the contract, where the
    # slice lies) is reached by its address, and the picker then names it.
    closed = period_for("last_month", local_today("America/Sao_Paulo"))[0]
    assert page.locator("#month").input_value() == f"{closed:%Y-%m}"
    page.goto(f"{live_server.url}/portal?month=1999-02")
    assert page.locator("#month option:checked").inner_text() == "February 1999"
    page.wait_for_function("() => window.Plotly !== undefined")
    assert page.locator("#month option:checked").inner_text() == "February 1999"

    care = page.locator("#scorecard tr[data-queue=care]")
    assert care.locator("td").nth(0).inner_text() == "Customer care"
    assert care.locator("td").nth(1).inner_text() == "2,191"  # offered, 12-14 Feb 1999 of the real log
    assert care.locator("td").nth(4).inner_text() == "67.1%"
    assert care.locator("td").nth(6).inner_text() == "no"  # below the 80 % target
    page.locator("#portal-service_level .main-svg").first.wait_for()
    assert "Customer care" in page.locator("#portal-service_level .legendtext").all_text_contents()
    assert page.locator("#portal-abandonment .main-svg").count() >= 1

    link = page.locator("#delivered a", has_text="reference-daily-19990214-19990214.csv")
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.csv"
    download.value.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"queue,name,kind,offered")
    assert hashlib.sha256(content).hexdigest() in page.locator("#delivered code").first.get_attribute("title")  # type: ignore[operator]
    # Everything the page needed came from the app itself: it works without a CDN.
    assert requested
    assert all(url.startswith(live_server.url) for url in requested)

    # Another contract: its portal, its data and its files are all 404 for this client.
    assert page.goto(f"{live_server.url}/portal?contract=other").status == 404  # type: ignore[union-attr]
    api = page.request.get(f"{live_server.url}/api/reports/other/sla?from=1999-02-01&to=1999-02-28")
    assert api.status == 404
    assert page.request.get(f"{live_server.url}/api/reports/other/delivered").status == 404

    # The other contract's client sees its own, empty, portal and none of this contract's files.
    other = sign_in("other_client")
    other.wait_for_url(f"{live_server.url}/portal")
    assert "reference-daily" not in other.content()
    assert other.request.get(f"{live_server.url}/api/reports/reference/delivered/1/file").status == 404
