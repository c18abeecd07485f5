"""Index series files: both CSV forms, every refusal with its line and column, and revisions against the store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ops.billing.indices.series import (
    INDEX_NAME,
    IndexFileError,
    IndexValue,
    diff_series,
    month_label,
    series_by_index,
    shift_month,
)
from ops.tabular import TableError
from tests.conftest import FIXTURES
from tests.unit.billing.indices.reading import read_series, read_series_file

FIXTURE = FIXTURES / "br_ipca_igpm_monthly_2015-2026.csv"


def error_of(text: str, locale: str = "en") -> IndexFileError | TableError:
    with pytest.raises((IndexFileError, TableError)) as caught:
        read_series(text, locale)
    return caught.value


def test_the_real_wide_file_gives_both_indices_every_month() -> None:
    values = read_series_file(FIXTURE)
    series = series_by_index(values)
    assert set(series) == {"IPCA", "IGP-M"}  # source_repo is an extra column, ignored
    # 2015-01 .. 2026-05 is 11 whole years and 5 months = 137 months, each index published in all of them.
    assert len(series["IPCA"]) == len(series["IGP-M"]) == 137
    assert series["IPCA"][date(2015, 1, 1)] == Decimal("1.24")
    assert series["IGP-M"][date(2015, 1, 1)] == Decimal("0.76")
    assert series["IGP-M"][date(2021, 9, 1)] == Decimal("-0.64")  # negative months survive as negative
    assert series["IPCA"][date(2026, 5, 1)] == Decimal("0.58")
    assert values == sorted(values, key=lambda value: (value.index, value.month))


def test_an_empty_wide_cell_is_a_month_not_yet_published() -> None:
    text = "month,ipca_pct_month,igpm_pct_month\n2026-05,0.58,0.84\n2026-06,,0.41\n"
    assert read_series(text) == [
        IndexValue("IGP-M", date(2026, 5, 1), Decimal("0.84")),
        IndexValue("IGP-M", date(2026, 6, 1), Decimal("0.41")),
        IndexValue("IPCA", date(2026, 5, 1), Decimal("0.58")),
    ]


def test_wide_file_with_only_one_index_column() -> None:
    assert read_series("month,igpm_pct_month\n2023-02,-0.06\n") == [
        IndexValue("IGP-M", date(2023, 2, 1), Decimal("-0.06"))
    ]


def test_long_form_with_agreement_series_and_a_byte_order_mark() -> None:
    text = "\ufeffMonth,Index,Pct,comment\n2026-03,cct_sinttel_sp,6.5,signed 2026-02-27\n\n2026-01,INPC,0.39,\n"
    assert read_series(text) == [
        IndexValue("INPC", date(2026, 1, 1), Decimal("0.39")),
        IndexValue("cct_sinttel_sp", date(2026, 3, 1), Decimal("6.5")),
    ]


def test_header_alone_is_an_empty_series() -> None:
    assert read_series("month,index,pct\n") == []


def test_a_value_repeated_identically_is_kept_once() -> None:
    text = "month,index,pct\n2024-01,IPCA,0.42\n2024-01,IPCA,0.420\n"
    assert read_series(text) == [IndexValue("IPCA", date(2024, 1, 1), Decimal("0.42"))]


def test_a_semicolon_decimal_comma_file_names_the_locale_to_pass() -> None:
    error = error_of("month;ipca_pct_month;igpm_pct_month\n2024-01;0,42;0,07\n")
    assert str(error).startswith("line 2, column 'ipca_pct_month': '0,42' has a decimal comma")
    assert "pass --locale pt-BR" in str(error)
    assert [(e.line, e.column) for e in error.errors] == [(2, "ipca_pct_month"), (2, "igpm_pct_month")]


def test_a_brazilian_excel_file_is_read_in_its_locale() -> None:
    """';'-separated, cp1252 (an accented extra column), numbers written 1.234,56: as Excel saves it in Brazil."""
    text = "month;ipca_pct_month;igpm_pct_month;observação\r\n2024-01;0,42;1.234,5678;prévia\r\n2024-02;-0,07;;\r\n"
    expected = [
        IndexValue("IGP-M", date(2024, 1, 1), Decimal("1234.5678")),
        IndexValue("IPCA", date(2024, 1, 1), Decimal("0.42")),
        IndexValue("IPCA", date(2024, 2, 1), Decimal("-0.07")),
    ]
    assert read_series(text.encode("cp1252"), "pt-BR") == expected
    assert read_series(text.encode("cp1252"), "es-AR") == expected


def test_two_bad_rows_are_listed_with_every_error_of_each() -> None:
    error = error_of("month,index,pct\n2024-13,SELIC,0.42\n2024-01,IPCA,0.42\n2024/02,IPCA,abc\n")
    assert isinstance(error, IndexFileError)
    assert [(e.line, e.column) for e in error.errors] == [(2, "month"), (2, "index"), (4, "month"), (4, "pct")]
    assert str(error) == (
        "line 2, column 'month': '2024-13' is not a month: must be YYYY-MM; "
        "line 2, column 'index': unknown index 'SELIC': expected IPCA, IGP-M, INPC or cct_<code>; "
        "line 4, column 'month': '2024/02' is not a month: must be YYYY-MM; "
        "line 4, column 'pct': 'abc' is not a finite number"
    )


def test_semicolon_row_in_a_comma_file() -> None:
    error = error_of("month,index,pct\n2024-01,IPCA,0.42\n2024-02;IPCA;0.83\n")
    assert str(error) == "line 3: expected 3 columns, got 1"


def test_unknown_header_says_which_columns_are_expected() -> None:
    error = error_of("mes,ipca,igpm\n2024-01,0.42,0.07\n")
    assert "line 1" in str(error)
    assert "'mes,ipca,igpm'" in str(error)
    assert "month,ipca_pct_month,igpm_pct_month" in str(error)
    assert "month,index,pct" in str(error)


def test_empty_text_is_refused() -> None:
    assert "empty file" in str(error_of(""))


@pytest.mark.parametrize("month", ["2024-13", "2024/01", "202401", "2024-1", "2024-01-01", "", "jan/24"])
def test_bad_month_names_line_and_column(month: str) -> None:
    error = error_of(f"month,index,pct\n2023-12,IPCA,0.56\n{month},IPCA,0.42\n")
    assert (error.line, error.column) == (3, "month")
    assert str(error) == f"line 3, column 'month': {month!r} is not a month: must be YYYY-MM"


@pytest.mark.parametrize(
    ("month", "problem"),
    [("0000-01", "is not a month"), ("0001-01", "is outside 1970-01-01 to"), ("9999-12", "is outside 1970-01-01 to")],
)
def test_a_month_outside_history_is_named(month: str, problem: str) -> None:
    """Issue 13: year 0 was a traceback, year 1 or 9999 a 500 when a readjustment window reached past it."""
    error = error_of(f"month,index,pct\n{month},IPCA,0.42\n")
    assert (error.line, error.column) == (2, "month")
    assert problem in str(error)


@pytest.mark.parametrize("pct", ["abc", "NaN", "inf", "-Infinity", "1.2.3", "0.4%"])
def test_pct_must_be_a_finite_number(pct: str) -> None:
    error = error_of(f"month,ipca_pct_month,igpm_pct_month\n2024-01,0.42,{pct}\n")
    assert str(error) == f"line 2, column 'igpm_pct_month': {pct!r} is not a finite number"


def test_quoted_decimal_comma_is_named() -> None:
    error = error_of('month,index,pct\n2024-01,IPCA,"0,42"\n')
    assert (error.line, error.column) == (2, "pct")
    assert "decimal comma" in str(error)


def test_a_month_losing_everything_is_a_typo() -> None:
    assert "above -100" in str(error_of("month,index,pct\n2024-01,IPCA,-100\n"))


def test_empty_pct_in_the_long_form_is_refused() -> None:
    error = error_of("month,index,pct\n2024-01,IPCA,\n")
    assert (error.line, error.column) == (2, "pct")


def test_wrong_number_of_fields() -> None:
    assert str(error_of("month,index,pct\n2024-01,IPCA\n")) == "line 2: expected 3 columns, got 2"


def test_duplicate_with_two_values_names_both_lines() -> None:
    error = error_of("month,index,pct\n2024-01,IPCA,0.42\n2024-02,IPCA,0.83\n2024-01,IPCA,0.44\n")
    assert str(error) == "line 4, column 'pct': IPCA 2024-01 is 0.44 here and 0.42 on line 2"


@pytest.mark.parametrize("name", ["ipca", "IGPM", "IGP_M", "SELIC", "cct_", "cct_-x", "cct_a b", "CCT_sinttel"])
def test_unknown_index_name_in_the_long_form(name: str) -> None:
    error = error_of(f"month,index,pct\n2024-01,{name},0.42\n")
    assert (error.line, error.column) == (2, "index")
    assert "expected IPCA, IGP-M, INPC or cct_<code>" in str(error)


@pytest.mark.parametrize("name", ["IPCA", "IGP-M", "INPC", "cct_sinttel", "cct_SINTTEL_SP_2026", "cct_9-a"])
def test_allowed_index_names(name: str) -> None:
    assert INDEX_NAME.match(name)


def test_diff_series_tells_new_unchanged_and_revised_apart() -> None:
    january, february, march = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    stored = {
        ("IGP-M", january): Decimal("0.41"),
        ("IGP-M", february): Decimal("-0.73"),
        ("IPCA", january): Decimal("0.33"),
    }
    incoming = read_series(
        "month,ipca_pct_month,igpm_pct_month\n"
        "2026-01,0.330,0.41\n"  # 0.330 is the stored 0.33: the same number, not a revision
        "2026-02,,-0.70\n"  # FGV revised February from -0.73 to -0.70
        "2026-03,,0.52\n"
    )
    change = diff_series(stored, incoming)
    assert change.new == [IndexValue("IGP-M", march, Decimal("0.52"))]
    assert change.unchanged == [
        IndexValue("IGP-M", january, Decimal("0.41")),
        IndexValue("IPCA", january, Decimal("0.330")),
    ]
    assert change.revised == [(IndexValue("IGP-M", february, Decimal("-0.70")), Decimal("-0.73"))]


def test_diff_series_refuses_incoming_values_that_contradict_each_other() -> None:
    month = date(2026, 1, 1)
    incoming = [IndexValue("IPCA", month, Decimal("0.33")), IndexValue("IPCA", month, Decimal("0.34"))]
    with pytest.raises(ValueError, match=r"IPCA 2026-01: incoming values 0.33 and 0.34 differ"):
        diff_series({}, incoming)


def test_index_value_month_is_a_first_day() -> None:
    with pytest.raises(ValueError, match="first day"):
        IndexValue("IPCA", date(2026, 1, 15), Decimal(1))


@pytest.mark.parametrize(
    ("month", "offset", "expected"),
    [
        (date(2026, 3, 1), -1, date(2026, 2, 1)),
        (date(2026, 3, 17), -14, date(2025, 1, 1)),
        (date(2025, 12, 1), 1, date(2026, 1, 1)),
    ],
)
def test_shift_month(month: date, offset: int, expected: date) -> None:
    assert shift_month(month, offset) == expected
    assert month_label(expected) == f"{expected.year}-{expected.month:02d}"
