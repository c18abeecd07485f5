"""The older pages write numbers, percentages, dates and times by Babel in the reader's locale (pt-BR, es-AR, en),
name the months in words in the portal's picker and give the portal's charts titles in the reader's language."""

from __future__ import annotations

import json
import re

from tests.integration import test_access_matrix as matrix
from tests.integration.test_access_matrix import World, in_module_loop

world = matrix.world  # the access matrix's two-contract app (a voice month, a ticket, an on-call shift)

LANGUAGES = {"pt": "pt-BR,pt;q=0.9", "es": "es-AR,es;q=0.9", "en": "en-US"}


async def get(world: World, key: str, path: str, lang: str) -> str:
    headers = {"Authorization": f"Bearer {world.tokens[key]}", "accept-language": LANGUAGES[lang]}
    response = await world.client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.text[:300])
    return response.text


def in_chart(text: str, page: str) -> bool:
    """Whether the page's Plotly figures (JSON, non-ASCII escaped) hold the text (a title may go on with its
    formula)."""
    return json.dumps(text)[:-1] in page


@in_module_loop
async def test_the_portal_writes_figures_months_and_charts_in_the_readers_locale(world: World) -> None:
    path = "/portal?month=2026-02"
    pt, es, en = [await get(world, "reference:client", path, lang) for lang in ("pt", "es", "en")]
    # The month picker: the month in words, selected.
    assert '<option value="2026-02" selected>fevereiro de 2026</option>' in pt
    assert '<option value="2026-02" selected>febrero de 2026</option>' in es
    assert '<option value="2026-02" selected>February 2026</option>' in en
    # The period's dates.
    assert "1 de fev. de 2026 – 28 de fev. de 2026" in pt.replace("\xa0", " ")
    assert "Feb 1, 2026 – Feb 28, 2026" in en.replace("\u202f", " ").replace("\xa0", " ")
    # Percentages with the locale's decimal comma and sign; no US-style figure on the Portuguese page.
    scorecard = pt.split('id="scorecard"')[1].split("</table>")[0]
    assert re.search(r">\d{1,3},\d%<", scorecard)
    assert not re.search(r">\d{1,3}\.\d%<", scorecard)
    assert re.search(r">\d{1,3}\.\d%<", en.split('id="scorecard"')[1].split("</table>")[0])
    # Chart titles in the reader's language, with the locale's separators for Plotly's numbers.
    assert in_chart("Nível de serviço diário x meta", pt) and in_chart("Nivel de servicio diario vs. meta", es)
    assert "Daily service level against target" in en
    assert "Chamadas atendidas em até 20 s" in pt and "Llamadas atendidas dentro de 20 s" in es  # the formula
    assert "· cliente</span>" in pt and "· client</span>" in en  # the signed-in role in the header
    assert '"separators":",."' in pt and '"separators":".,"' in en


@in_module_loop
async def test_the_work_pages_write_times_in_the_readers_locale(world: World) -> None:
    ticket = world.ref["ticket"]
    # Created 2026-03-02 14:00 UTC: 11:00 in São Paulo, the reference contract's zone.
    pages = {lang: await get(world, "reference:supervisor", f"/work/tickets/{ticket}", lang) for lang in LANGUAGES}
    assert "02/03 11:00" in pages["pt"]
    assert "2/3, 11:00" in pages["es"]
    assert re.search(r"3/2, 11:00\s?AM", pages["en"].replace("\u202f", " "))


@in_module_loop
async def test_the_staffing_page_writes_its_month_and_shifts_in_the_readers_locale(world: World) -> None:
    path = f"/staffing?contract=reference&week={matrix.WEEK}"
    pt, es = [await get(world, "all:manager", path, lang) for lang in ("pt", "es")]
    assert "fevereiro de 2026" in pt and "febrero de 2026" in es  # the on-call month
    assert "segunda-feira, 23 de fevereiro de 2026" in pt and "lunes, 23 de febrero de 2026" in es  # the week
    assert '"separators": ",."' in pt and '"locale": "es-AR"' in es  # the script's charts and figures
    assert "· gestor</span>" in pt and "· gerente</span>" in es
    # The on-call shift: 2026-02-14 11:00 to 21:00 UTC, 08:00 to 18:00 in São Paulo, 10 billable hours.
    row = pt.split('id="oncall-shifts"')[1].split("</tr>", 2)[1]
    assert "14/02/2026 08:00" in row and "14/02/2026 18:00" in row
    assert re.search(r'class="num hours">10(,0+)?<', row)
