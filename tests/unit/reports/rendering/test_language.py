"""The report as a Brazilian, an Argentine or an English-speaking client reads it: its words from the gettext
catalogues, its numbers, money, percentages and dates by Babel; the contract's language unless another is asked
for; the XLSX's figures as typed cells; the heatmap anchored on the target."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from pathlib import Path

import msgspec
import openpyxl
import pandas as pd
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from ops.l10n import LOCALE_DIR
from ops.reports.rendering.charts import interval_heatmap
from ops.reports.rendering.formats import render, render_html
from ops.reports.rendering.words import words
from ops.reports.report import ReportData, compute
from tests.unit.reports.rendering.test_charts import sample_report

RENDERING = Path(__file__).resolve().parents[4] / "src" / "ops" / "reports" / "rendering"


@pytest.fixture(scope="module")
def report() -> ReportData:
    return sample_report()


def _section(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start : html.index("</table>", start)]


@pytest.mark.parametrize(
    ("lang", "heading", "statement", "fee", "sheet"),
    [
        ("pt-BR", "Resumo executivo", "Demonstrativo de penalidades e bônus", "R$\xa0202.500,00", "Indicadores"),
        (
            "es-AR",
            "Resumen ejecutivo",
            "Liquidación de penalidades y bonificaciones",
            "BRL\xa0202.500,00",
            "Indicadores",
        ),
        ("en", "Executive summary", "Penalty and bonus statement", "R$202,500.00", "Scorecard"),
    ],
)
def test_the_report_speaks_the_readers_language_with_babels_money(
    report: ReportData, lang: str, heading: str, statement: str, fee: str, sheet: str
) -> None:
    html = render(report, "html", lang=lang).decode()
    assert f"<h2>{heading}</h2>" in html and f"<h2>{statement}</h2>" in html
    assert f'<html lang="{lang}">' in html
    money = _section(html, "summary-money")
    assert fee in money  # the period's fee, in the locale's money format
    book = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx", lang=lang)), read_only=True)
    assert sheet in book.sheetnames
    assert json.loads(render(report, "json", lang=lang))["language"] == lang


def test_the_contracts_language_is_the_default(report: ReportData) -> None:
    assert "<h2>Resumo executivo</h2>" in render(report, "html").decode()  # the reference contract: pt-BR
    argentine = msgspec.structs.replace(report.contract, language="es-AR")
    spanish = replace(report, inputs=replace(report.inputs, contract=argentine))
    assert "<h2>Resumen ejecutivo</h2>" in render(spanish, "html").decode()


def test_the_statement_names_kpis_and_shows_percentages(report: ReportData) -> None:
    table = _section(render_html(report, lang="pt-BR").decode(), "statement")
    for text in ("Nível de serviço", "Taxa de abandono", "Tempo médio de espera", "80,0%", "67,1%", "60,0 s"):
        assert text in table, text
    assert "service_level" not in table and "0.8" not in table and "0.6710" not in table
    assert "R$\xa012.150,00" in table  # the care service level's credit


def test_the_breach_list_says_how_late_in_business_time(report: ReportData) -> None:
    table = _section(render_html(report, lang="en").decode(), "breaches")
    rows = re.findall(r"<tr><td>(P\d)</td>.*?</tr>", table, re.S)
    assert rows == ["P2", "P3", "P3"]  # the latest first: P2 answered an hour late
    assert "1 h 00 min" in table and "27 h 00 min" in table  # late by, and the 1,620-minute resolution target


def test_notes_are_in_the_readers_language(report: ReportData) -> None:
    assert report.notes == ["Queues use different service-level formulas; the total uses offered at 20 s."]
    html = render_html(report, lang="pt-BR").decode()
    assert "As filas usam fórmulas de nível de serviço diferentes; o total usa offered a 20 s." in html


def test_the_summary_sets_the_month_against_the_previous_one(report: ReportData) -> None:
    # January: the slice's 12 and 13 February a month earlier (670 calls, 371 within 20 s: 55.4 %).
    days = report.intervals["interval_start"].dt.tz_convert("America/Sao_Paulo").dt.day
    january = report.intervals[days < 14].assign(interval_start=lambda f: f["interval_start"] - pd.DateOffset(months=1))
    html = render_html(compute(replace(report.inputs, earlier=january)), lang="pt-BR").decode()
    table = _section(html, "summary-months")
    assert "janeiro de 1999" in table and "670" in table and "55,4%" in table
    change = table[table.index("Variação sobre o mês anterior") :].split("</tr>")[0]
    # February against January: 2,191 calls against 670 (+227.0 %), 67.1 % against 55.4 % (+11.7 pp).
    assert "+227,0%" in change and "+11,7 p.p." in change


def test_the_interval_appendix_is_in_the_xlsx_and_in_html_only_when_asked(report: ReportData) -> None:
    assert "Appendix: intervals with calls" not in render_html(report, lang="en").decode()
    assert "Appendix: intervals with calls" in render_html(report, lang="en", appendix=True).decode()


def test_xlsx_figures_are_typed_cells(report: ReportData) -> None:
    book = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx", lang="pt-BR")))

    def rows(name: str) -> list[dict[str, openpyxl.cell.Cell]]:
        sheet = list(book[name].iter_rows())
        header = [c.value for c in sheet[0]]
        return [dict(zip(header, r, strict=True)) for r in sheet[1:]]

    care = rows("Indicadores")[0]
    assert care["Oferecidas"].value == 2191 and care["Oferecidas"].number_format == "#,##0"
    assert care["Nível de serviço"].value == pytest.approx(1470 / 2191)
    assert care["Nível de serviço"].number_format == "0.0%" and care["Meta"].number_format == "0.0%"
    assert care["TME (s)"].value == pytest.approx(23.1, abs=0.05)
    lines = rows("Penalidades")
    credit = next(r for r in lines if r["Nome"].value == "Nível de serviço" and r["Fila"].value == "care")
    assert credit["Valor"].value == pytest.approx(12150) and not isinstance(credit["Valor"].value, str)
    assert "R$" in credit["Valor"].number_format and "0.00" in credit["Valor"].number_format
    assert credit["Meta"].number_format == "0.0%" and credit["Realizado"].value == pytest.approx(0.6709, abs=1e-4)
    summary = {r[0].value: r[1] for r in book["Resumo"].iter_rows() if r[0].value and len(r) > 1}
    assert summary["Mensalidade do período"].value == pytest.approx(202500)
    assert "R$" in summary["Mensalidade do período"].number_format
    breaches = rows("Violações de SLA")
    late = next(r for r in breaches if r["Chamado"].value == "P2")
    assert late["Atraso (minutos úteis)"].value == pytest.approx(60)
    intervals = rows("Intervalos")
    assert sum(r["Oferecidas"].value for r in intervals) == 2191
    numeric = [k for k in intervals[0] if k not in ("Fila", "Início do intervalo")]
    for row in intervals:
        for key in numeric:
            assert row[key].value is None or isinstance(row[key].value, int | float), (key, row[key].value)


def test_no_xlsx_sheet_holds_a_number_as_text(report: ReportData) -> None:
    book = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx", lang="es-AR")), read_only=True)
    number = re.compile(r"^-?[\d.,]+%?$")
    for sheet in book.sheetnames[1:]:  # the cover's items are sentences (the formula version "1" among them)
        for row in book[sheet].iter_rows(min_row=2, values_only=True):
            texts = [v for v in row if isinstance(v, str) and number.match(v.strip())]
            assert texts == [], (sheet, row)


def test_the_heatmap_diverges_at_the_target_and_names_it_on_its_colour_bar(report: ReportData) -> None:
    heat = interval_heatmap(report, words(report.contract, "pt-BR")).data[0]
    stops = {round(float(position), 4): color for position, color in heat.colorscale}
    assert stops[0.8] == "#f7f7f7"  # neutral exactly at the 80 % target, red below, green above
    assert stops[0.0] != stops[1.0]
    assert list(heat.colorbar.tickvals).count(0.8) == 1 and "80% meta" in heat.colorbar.ticktext
    assert (heat.zmin, heat.zmax) == (0, 1)


def used_msgids() -> set[str]:
    sources = [*RENDERING.glob("*.py"), RENDERING.parent / "delivery" / "sending.py", RENDERING.parent / "report.py"]
    keywords = {"_": None, "N_": None}
    found = {str(m) for path in sources for _, m, _, _ in extract_from_file("python", path, keywords=keywords)}
    found |= {str(m) for _, m, _, _ in extract_from_file("jinja2", RENDERING / "templates" / "report.html.j2")}
    return found


@pytest.mark.parametrize("locale", ["pt_BR", "es_AR"])
def test_every_word_of_the_report_is_translated(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    translated = {str(m.id): str(m.string) for m in catalogue if m.id and m.string and not m.fuzzy}
    used = used_msgids()
    assert len(used) > 150  # the extraction found the report's words
    assert sorted(used - set(translated)) == []
    for msgid in used:
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", translated[msgid])), msgid
