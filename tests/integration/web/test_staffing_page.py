"""The staffing page as a WFM planner reads it: it opens on next week (the contract's clock), puts the forecast's
accuracy of the last four weeks beside the forecast (the backtest's own figures, in the reader's number format),
sizes the back-office queues by workload or says why one cannot be, and takes the what-if target in percent."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from ops.calendars import Calendar
from ops.contracts.models import Contract, Queue
from ops.l10n import Formats
from ops.staffing.forecast.backtest import MODEL, run_backtest
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, token
from tests.integration.staffing.planning.test_plan_api import CAPPED, WEEK, add_tickets, with_history
from tests.integration.staffing.synthetic import TZ, interval_rows

Client = AsyncTestClient[Litestar]
PT, ES, EN = {"accept-language": "pt-BR"}, {"accept-language": "es-AR,es;q=0.9"}, {"accept-language": "en"}
API = "/api/staffing/reference"


async def _page(client: Client, db: Any, headers: dict[str, str], **query: str) -> str:
    manager = await token(db, "manager")
    response = await client.get("/staffing", params=query, headers={**bearer(manager), **headers})
    assert response.status_code == 200, response.text[:500]
    return response.text


def _row(page: str, table: str, queue: str) -> str:
    """The <tr> of `queue` in the table with id `table`."""
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    found = re.search(rf'<tr data-queue="{queue}">(.*?)</tr>', body, re.S)
    assert found, (table, queue, body[:800])
    return found.group(1)


def _data(page: str) -> dict[str, Any]:
    """The JSON the page gives its script."""
    text = page.split('id="staffing-data">', 1)[1].split("</script>", 1)[0]
    found: dict[str, Any] = json.loads(text)
    return found


def _cell(row: str, css: str) -> str:
    found = re.search(rf'class="num {css}">([^<]*)<', row)
    assert found, (css, row)
    return found.group(1)


async def test_the_page_opens_on_next_week_of_the_contracts_clock(client: Client, db: Any) -> None:
    await load_reference(db)
    page = await _page(client, db, EN)
    today = datetime.now(ZoneInfo(TZ)).date()  # the reference contract runs on São Paulo's clock
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    assert f'name="week" value="{monday.isoformat()}"' in page
    assert monday > today  # no day of the shown week is already past
    # No history at all: each queue says why it is not planned, in a sentence, not a bare "not planned".
    assert "Customer care (care) has no call statistics before this week" in page
    assert "Back office - care (bo_care) received no tickets in the weeks before this one" in page
    chosen = await _page(client, db, EN, contract="reference", week=WEEK)
    assert f'name="week" value="{WEEK}"' in chosen  # a chosen week stays chosen
    wednesday = await _page(client, db, EN, contract="reference", week="2026-03-11")
    assert f'name="week" value="{WEEK}"' in wednesday  # a day picked stands for its week, which starts on Monday


async def _voice_holidays(db: Any) -> set[date]:
    async with db() as session:
        raw = (
            await session.execute(
                select(Queue.calendar).join(Contract).where(Contract.code == "reference", Queue.code == "care")
            )
        ).scalar_one()
    calendar = Calendar.from_dict(raw)
    days = pd.date_range("2026-02-02", "2026-03-08", freq="D").date
    return {d for d in days if calendar.is_holiday(d)}


async def test_forecast_accuracy_is_the_backtests_wape_and_bias_of_the_last_four_weeks(client: Client, db: Any) -> None:
    await with_history(db)  # five weeks of care and help-desk calls, 2 Feb to 8 Mar 2026
    rows = [
        r for r in interval_rows(date(2026, 2, 2), 35, queues={"care": 1.0, "helpdesk": 0.8}) if r["queue"] == "care"
    ]
    series = pd.Series(
        [float(r["offered"]) for r in rows],  # type: ignore[arg-type]
        index=pd.DatetimeIndex([pd.Timestamp(str(r["interval_start"])) for r in rows]).tz_convert(TZ),
    )
    table = run_backtest(series, holidays=await _voice_holidays(db), weeks=4)
    model = table[table["method"] == MODEL].iloc[0]
    pages = {
        lang: await _page(client, db, headers, contract="reference", week=WEEK)
        for lang, headers in (("pt", PT), ("es", ES), ("en", EN))
    }
    for lang, page in pages.items():
        fmt = Formats({"pt": "pt-BR", "es": "es-AR", "en": "en"}[lang])
        care = _row(page, "accuracy", "care")
        assert _cell(care, "wape") == fmt.percent(float(model["wape"]))
        assert _cell(care, "bias") == fmt.signed_percent(float(model["bias"]))
        assert f'<td class="num">{fmt.number(4)}</td>' in care
        # Four weeks scored, each forecast from the weeks before it: 9 Feb to 8 Mar.
        assert f"{fmt.date(date(2026, 2, 9))} – {fmt.date(date(2026, 3, 8))}" in care
    assert "Acurácia da previsão das últimas semanas" in pages["pt"]
    # The charts' days are named by Babel in the reader's language, not by plotly in English.
    days = {lang: [d["label"] for d in _data(page)["days"]] for lang, page in pages.items()}
    assert (days["pt"][0], days["es"][0], days["en"][6]) == ("seg., 9 de mar.", "lun, 9 mar", "Sun, Mar 15")
    assert "Precisión del pronóstico de las últimas semanas" in pages["es"]
    assert "," in _cell(_row(pages["pt"], "accuracy", "care"), "wape")  # 4,2%: Brazil's decimal comma
    assert 0 < float(model["wape"]) < 0.3  # Poisson noise around a fixed shape: a sane forecast


async def test_a_back_office_queue_is_staffed_by_workload_and_the_others_say_why_not(client: Client, db: Any) -> None:
    no_handle = CAPPED.replace("handle_minutes: 18", "handle_minutes: 0")
    await with_history(db, text=no_handle)
    await add_tickets(db, queue="bo_care", per_hour=20)
    await add_tickets(db, queue="bo_helpdesk", per_hour=5)
    pt = await _page(client, db, PT, contract="reference", week=WEEK)
    bo_care = _row(pt, "workload-queues", "bo_care")
    # 20 tickets an hour x 14 minutes, due within 27 business hours (1,620 minutes, normal priority): 7 positions
    # at the peak against a base of 6 (the plan's own requirement).
    assert _cell(bo_care, "handle") == "14"
    assert _cell(bo_care, "due") == "27"
    assert _cell(bo_care, "peak") == "7"
    assert _cell(bo_care, "base") == "6"
    tickets = int(_cell(bo_care, "tickets").replace(".", ""))
    assert 850 <= tickets <= 950  # 5 weekdays x 9 open hours x 20
    assert int(_cell(bo_care, "short")) > 0  # the base of 6 falls short at the peaks
    reasons = pt.split('id="unplanned"', 1)[1].split("</ul>", 1)[0]
    assert "Back office - help desk (bo_helpdesk) não tem tempo de atendimento no contrato" in reasons
    assert "Back office - social media (social) não recebeu chamados" in reasons
    assert "Retention and customer satisfaction (retention) faz chamadas ativas" in reasons
    assert "not planned" not in pt
    es = await _page(client, db, ES, contract="reference", week=WEEK)
    assert "(bo_helpdesk) no tiene tiempo de atención en el contrato" in es
    plan = (await client.post(f"{API}/plans", json={"week": WEEK}, headers=bearer(await token(db, "manager")))).json()
    skipped = {s["queue"]: s for s in plan["result"]["skipped"]}
    assert skipped["bo_helpdesk"]["why"] == "no_handle_time"
    assert "handle time" in skipped["bo_helpdesk"]["reason"]  # the API's English


async def test_the_what_if_target_is_typed_in_percent(client: Client, db: Any) -> None:
    await with_history(db, text=REFERENCE_CONTRACT.read_text(encoding="utf-8"))  # no cap: every interval covered
    headers = bearer(await token(db, "manager"))
    page = await _page(client, db, EN, contract="reference", week=WEEK)
    # Empty means the contract's target, which the field shows in percent: 80 for the reference's 0.8.
    assert re.search(r'name="target_pct" step="0.1" min="0.1" max="99.9"\s+placeholder="80"', page)
    assert "SL target (%, empty = contract)" in page

    async def what_if(target: float | None) -> dict[str, Any]:
        response = await client.post(f"{API}/what-if", json={"week": WEEK, "target_pct": target}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    contract, stricter = await what_if(None), await what_if(85)
    voice = [q for q in stricter["queues"] if q["method"] == "erlang_c"]
    assert {q["target"] for q in voice} == {0.85}
    assert {q["target"] for q in contract["queues"] if q["method"] == "erlang_c"} == {0.8}
    care = lambda result: sum(r["required"] for r in result["intervals"] if r["queue"] == "care")  # noqa: E731
    assert care(stricter) > care(contract)
    assert all(q["service_level"] >= 0.85 for q in voice)  # every interval sized for 85 % within 20 s
    for bad in (0, 100, 150, -5):
        response = await client.post(f"{API}/what-if", json={"week": WEEK, "target_pct": bad}, headers=headers)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["field"] == "target_pct", response.text
        assert "85 for 85 %" in response.text
        assert "85 for 85 %" in response.json()["detail"]  # what the page's what-if shows the planner
    old = await client.post(f"{API}/what-if", json={"week": WEEK, "target": 0.85}, headers=headers)
    assert old.status_code in (400, 422) and "target" in old.text
