"""The XLSX written directly: what a spreadsheet program reads back from it (openpyxl standing in for Excel)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl

from ops.reports.rendering.formats import cover_items
from ops.reports.rendering.spreadsheet import Book, column_letter, serial
from ops.reports.rendering.words import words
from ops.reports.rendering.workbook import render_xlsx
from tests.unit.reports.rendering.test_charts import sample_report


def test_cells_come_back_with_their_types_and_formats() -> None:
    book = Book()
    ws = book.sheet("Intervals of a rather long month name")  # Excel's 31-character limit
    ws.put(1, 1, "Queue", bold=True)
    ws.put(1, 2, "Start", bold=True)
    ws.put(1, 3, "Offered", bold=True)
    ws.put(2, 1, '=HYPERLINK("http://x")\x07 & <co>')  # text stays text: no formula, no control character
    ws.put(2, 2, datetime(2026, 2, 1, 7, 30), "dd/mm/yyyy hh:mm")
    ws.put(2, 3, 2191, "#,##0")
    ws.put(2, 4, Decimal("202500.10"), '"R$" #,##0.00')
    ws.put(2, 5, True)
    ws.put_numbers(6, 2, [0.671, None, float("nan"), 0.5], "0.0%")
    ws.put(3, 2, date(2026, 2, 28), "dd/mm/yyyy")
    ws.frozen_header = True
    ws.widths[1] = 30
    content = book.save()

    sheet = openpyxl.load_workbook(io.BytesIO(content))["Intervals of a rather long mont"]
    assert [c.value for c in sheet[1][:3]] == ["Queue", "Start", "Offered"] and sheet["A1"].font.b
    assert sheet["A2"].value == '=HYPERLINK("http://x") & <co>' and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == datetime(2026, 2, 1, 7, 30) and sheet["B2"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet["B3"].value == datetime(2026, 2, 28)
    assert sheet["C2"].value == 2191 and isinstance(sheet["C2"].value, int) and sheet["C2"].number_format == "#,##0"
    assert sheet["D2"].value == 202500.10 and sheet["D2"].number_format == '"R$" #,##0.00'
    assert sheet["E2"].value is True
    assert [sheet.cell(r, 6).value for r in range(2, 6)] == [0.671, None, None, 0.5]
    assert sheet["F2"].number_format == "0.0%"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 30
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None


def test_serials_and_letters_are_excels() -> None:
    assert serial(date(1900, 3, 1)) == 61  # after Excel's phantom 29 February 1900
    assert serial(datetime(2026, 2, 1, 12)) == 46054.5
    assert [column_letter(i) for i in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]


def test_the_reports_interval_sheet_reads_as_local_times() -> None:
    report = sample_report()
    w = words(report.contract, "en")
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(report, w, cover_items(report, w))))["Intervals"]
    first = report.intervals.iloc[0]
    local = first["interval_start"].tz_convert("America/Sao_Paulo").tz_localize(None).to_pydatetime()
    assert sheet["B2"].value == local and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == len(report.intervals) + 1
