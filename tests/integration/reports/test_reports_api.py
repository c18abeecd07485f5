"""The reports API and portal page: report data, delivered files with their checksum, each client only its own."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops import bounds
from ops.config import Settings
from ops.l10n import Formats
from ops.reports.delivery.services import local_today, period_for, run_delivery
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, sign_in, token
from tests.integration.reports.conftest import free_port
from tests.integration.reports.delivery.test_delivery import DAILY, FAST_DAILY

FEB = {"from": "1999-02-01", "to": "1999-02-28"}


def tamper(store: Path) -> None:
    path = next(store.rglob("*.csv"))
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes() + b"tampered\n")


async def two_contracts(db: Any, settings: Settings) -> dict[str, str]:
    """reference (with the slice and a delivered daily report) and other; a client token of each."""
    await load_reference(db, text=REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(DAILY, FAST_DAILY))
    await load_reference(db, code="other")
    down = settings.model_copy(update={"smtp_port": free_port()})  # the send fails: visible to staff
    await run_delivery(db, down, contract_code="reference", delivery="daily", today=date(1999, 2, 15))
    return {
        "reference": await token(db, "client", "reference", name="Ana"),
        "other": await token(db, "client", "other", name="Bruno"),
        "manager": await token(db, "manager", name="Gestora"),
    }


async def test_client_gets_its_report_data_and_never_another_contracts(
    client: AsyncTestClient[Litestar], reference: Any, settings: Settings
) -> None:
    tokens = await two_contracts(reference, settings)
    mine = await client.get("/api/reports/reference/sla", params=FEB, headers=bearer(tokens["reference"]))
    assert mine.status_code == 200
    care = mine.json()["queues"][0]
    assert (care["queue"], care["offered"], care["answered"], care["abandoned"]) == ("care", 2191, 1966, 225)
    assert mine.json()["service_level"]["threshold_seconds"] == 20
    theirs = await client.get("/api/reports/other/sla", params=FEB, headers=bearer(tokens["reference"]))
    assert theirs.status_code == 404
    bad = await client.get(
        "/api/reports/reference/sla", params={"from": "1999-02-30", "to": "x"}, headers=bearer(tokens["reference"])
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "from"


async def test_delivered_reports_download_as_stored_and_checked(
    client: AsyncTestClient[Litestar], reference: Any, settings: Settings
) -> None:
    tokens = await two_contracts(reference, settings)
    listed = await client.get("/api/reports/reference/delivered", headers=bearer(tokens["reference"]))
    assert listed.status_code == 200
    rows = listed.json()
    assert [(r["delivery"], r["period_start"], r["format"]) for r in rows] == [
        ("daily", "1999-02-14", "csv"),
        ("daily", "1999-02-14", "xlsx"),
    ]
    file = await client.get(rows[0]["download"], headers=bearer(tokens["reference"]))
    assert file.status_code == 200
    assert hashlib.sha256(file.content).hexdigest() == rows[0]["sha256"] == file.headers["x-content-sha256"]
    assert "reference-daily-19990214-19990214.csv" in file.headers["content-disposition"]
    # Another client sees neither the list nor the file.
    assert (await client.get("/api/reports/reference/delivered", headers=bearer(tokens["other"]))).status_code == 404
    assert (await client.get(rows[0]["download"], headers=bearer(tokens["other"]))).status_code == 404
    assert (await client.get("/api/reports/other/delivered", headers=bearer(tokens["other"]))).json() == []
    # A stored file changed behind our back is refused, not served.
    tamper(Path(settings.reports_dir))
    assert (await client.get(rows[0]["download"], headers=bearer(tokens["reference"]))).status_code == 409


async def test_failed_sends_are_visible_to_staff_only(
    client: AsyncTestClient[Litestar], reference: Any, settings: Settings
) -> None:
    tokens = await two_contracts(reference, settings)
    sends = await client.get("/api/reports/reference/sends", headers=bearer(tokens["manager"]))
    assert sends.status_code == 200
    [send] = sends.json()
    assert (send["channel"], send["status"], send["attempts"]) == ("email", "failed", 1)
    assert send["next_attempt_at"] is not None
    assert "Connection refused" in send["attempt_log"][0]["error"]
    assert (await client.get("/api/reports/reference/sends", headers=bearer(tokens["reference"]))).status_code == 403


async def test_portal_page_shows_own_scorecard_and_reports(
    client: AsyncTestClient[Litestar], reference: Any, settings: Settings
) -> None:
    tokens = await two_contracts(reference, settings)
    await sign_in(client, tokens["reference"])
    # It opens on the last closed month of the contract's calendar (the monthly report's), not the current one.
    closed = period_for("last_month", local_today("America/Sao_Paulo"))[0]
    opened = await client.get("/portal", headers={"accept-language": "en"})
    assert opened.status_code == 200
    assert f'<option value="{closed:%Y-%m}" selected>{Formats("en").month(closed)}</option>' in opened.text
    page = await client.get("/portal?month=1999-02", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "Customer care" in page.text
    assert "2,191" in page.text  # offered in the month with data (February 1999)
    assert "67.1%" in page.text
    assert "reference-daily-19990214-19990214.xlsx" in page.text
    assert '<script src="/vendor/plotly.min.js">' in page.text
    assert ">ASA s<" in page.text and ">Total<" in page.text
    assert "Abandoned calls over offered, by day" in page.text  # the charts in the reader's language
    assert "1 of 3 contractual targets met; 2 missed." in page.text  # care: ASA met, service level and abandonment
    portuguese = await client.get("/portal?month=1999-02", headers={"accept-language": "pt-BR"})
    assert ">TME s<" in portuguese.text and ">TMA s<" in portuguese.text
    assert "Chamadas abandonadas sobre oferecidas, por dia" in portuguese.text and "67,1%" in portuguese.text
    # The month picker, the period and the formula in words in the reader's language, not the browser's widget.
    assert '<option value="1999-02" selected>fevereiro de 1999</option>' in portuguese.text
    assert "1 de 3 metas contratuais cumpridas; 2 não cumpridas." in portuguese.text
    assert "1 de fev. de 1999 – 28 de fev. de 1999" in portuguese.text
    assert "Chamadas atendidas em até 20 s sobre todas as chamadas oferecidas" in portuguese.text
    assert (await client.get("/portal?contract=other")).status_code == 404
    assert (await client.get("/vendor/plotly.min.js")).status_code == 200
    await sign_in(client, tokens["manager"])
    manager = await client.get("/portal")
    assert "/portal?contract=other" in manager.text  # staff choose among every contract


async def test_a_report_period_in_year_1_is_a_422_not_an_out_of_bounds_timestamp(
    client: AsyncTestClient[Litestar], reference: Any
) -> None:
    """Issue 13: reports read history, which may be older than any input (this slice is from 1999), but never
    from before 1970, where pandas' clocks end."""
    manager = bearer(await token(reference, "manager"))
    far = await client.get(
        "/api/reports/reference/sla", params={"from": "0001-01-01", "to": "1999-02-28"}, headers=manager
    )
    assert far.status_code == 422, far.text
    assert far.json()["errors"] == [
        {"field": "from", "problem": f"0001-01-01 is outside 1970-01-01 to {bounds.window().latest()}"}
    ]
    assert (await client.get("/api/reports/reference/sla", params=FEB, headers=manager)).status_code == 200
