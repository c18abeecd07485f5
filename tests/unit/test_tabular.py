"""The one reader of every tabular import (ops.tabular): encodings and separators as offices save them, rows streamed
with their line numbers, a bad row costing itself only, the row limit, and numbers as each locale writes them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ops.tabular import FIELD_LIMIT, Row, TableError, open_table, parse_number


def read(path: Path, **kwargs: object) -> tuple[list[str], list[Row], str]:
    with open_table(path, max_rows=int(kwargs.pop("max_rows", 100)), **kwargs) as table:  # type: ignore[arg-type]
        return table.columns, list(table), table.describe()


def test_a_brazilian_excel_csv_semicolons_and_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("código;descrição;valor\r\nA1;Cobrança indevida;1.234,56\r\n".encode("cp1252"))
    columns, rows, how = read(path)
    assert columns == ["código", "descrição", "valor"]
    assert rows == [Row(2, {"código": "A1", "descrição": "Cobrança indevida", "valor": "1.234,56"})]
    assert how == "CSV, cp1252, ';'-separated"


def test_utf8_with_a_bom_tabs_and_quoted_separators(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes('\ufeffid\tnote\n1\t"a\tb; c, d"\n'.encode())
    columns, rows, how = read(path)
    assert columns == ["id", "note"]  # no BOM glued to the first name
    assert rows[0].values == {"id": "1", "note": "a\tb; c, d"}
    assert how == "CSV, utf-8-sig, '\\t'-separated"
    comma = tmp_path / "comma.csv"
    comma.write_text('id,"note; with semicolons"\n1,x\n', encoding="utf-8")
    assert read(comma)[0] == ["id", "note; with semicolons"]  # quoted text does not vote for a separator


def test_a_file_neither_utf8_nor_cp1252_is_named_with_both(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"id,name\n1,\xe9\x81\n")  # 0x81 is not in cp1252, and \xe9\x81 is not UTF-8
    with pytest.raises(TableError, match=r"neither UTF-8 nor cp1252.*byte 0x81 .*--encoding"):
        read(path)
    with pytest.raises(TableError, match="unknown encoding 'klingon'"):
        read(path, encoding="klingon")


def test_missing_columns_name_how_the_file_was_read(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("external_id|channel\nX|email\n", encoding="utf-8")
    with open_table(path, max_rows=10, delimiter=";") as table, pytest.raises(TableError) as error:
        table.require("external_id", "channel")
    assert "missing column(s) external_id, channel" in str(error.value)
    assert "(read as CSV, utf-8, ';'-separated; pass --encoding / --delimiter" in str(error.value)
    assert read(path)[1][0].values == {"external_id": "X", "channel": "email"}  # the pipe, detected


def test_bad_rows_cost_themselves_only_and_keep_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id,body\n")
        out.write("1,fine\n")
        out.write(f"2,{'x' * (FIELD_LIMIT + 10)}\n")  # a field over 128 KB
        out.write("3,too,many\n")
        out.write("\n")  # a blank line is no row
        out.write('4,"two\nlines"\n')
        out.write("5,last\n")
    rows = read(path)[1]
    assert [(r.line, r.problem) for r in rows if r.problem] == [
        (3, f"not a CSV row (field larger than field limit ({FIELD_LIMIT}))"),
        (4, "expected 2 columns, got 3"),
    ]
    assert [(r.line, r.values["id"]) for r in rows if not r.problem] == [(2, "1"), (7, "4"), (8, "5")]


def test_the_row_limit_refuses_the_file_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("id\n" + "".join(f"{n}\n" for n in range(11)), encoding="utf-8")
    with pytest.raises(TableError, match=r"11 rows, more than the 10 a file may hold \(OPS_IMPORT_MAX_ROWS\)"):
        read(path, max_rows=10)
    assert len(read(path, max_rows=11)[1]) == 11
    # Line breaks inside quotes are not rows: counted as rows, the file is within its limit.
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("id,note\n" + "".join(f'{n},"a\nb\nc"\n' for n in range(4)), encoding="utf-8")
    assert len(read(quoted, max_rows=4)[1]) == 4


def test_the_row_limit_stops_an_encoding_given_file_while_streaming(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(("id\n" + "".join(f"{n}\n" for n in range(5))).encode("latin-1"))
    with open_table(path, max_rows=3, encoding="latin-1") as table:
        rows = iter(table)
        assert [next(rows).values["id"] for _ in range(3)] == ["0", "1", "2"]
        with pytest.raises(TableError, match="more than the 3 a file may hold"):
            next(rows)


def test_xlsx_streams_typed_cells_and_refuses_a_fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    # openpyxl writes at most Excel's 32,767 characters a cell: the limit is lowered to see a long cell refused.
    monkeypatch.setattr("ops.tabular.FIELD_LIMIT", 20_000)

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ID", "count", "note"])
    sheet.append([1001.0, 5200, "ok"])
    sheet.append([None, None, None])
    sheet.append(["X2", 1.5, "y" * 30_000])
    path = tmp_path / "book.xlsx"
    book.save(path)
    columns, rows, how = read(path, lower=True)
    assert columns == ["id", "count", "note"] and how == "XLSX, first sheet"
    assert rows[0] == Row(2, {"id": 1001, "count": 5200, "note": "ok"})
    assert rows[1] == Row(4, problem="note: longer than 20,000 characters")
    with pytest.raises(TableError, match="3 rows, more than the 2"):
        read(path, max_rows=2)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("id\n1\n", encoding="utf-8")
    with pytest.raises(TableError, match="not a readable XLSX workbook"):
        read(fake)


def test_an_empty_file_or_a_repeated_column_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(TableError, match="empty file"):
        read(empty)
    twice = tmp_path / "twice.csv"
    twice.write_text("id,name,id\n1,a,2\n", encoding="utf-8")
    with pytest.raises(TableError, match="column 'id' appears twice"):
        read(twice)


@pytest.mark.parametrize(
    ("text", "locale", "value"),
    [
        ("1.234,56", "pt-BR", Decimal("1234.56")),
        ("1.234,56", "es-AR", Decimal("1234.56")),
        ("1,234.56", "en", Decimal("1234.56")),
        ("1.200", "pt-BR", Decimal("1200")),  # a thousand two hundred in Brazil...
        ("1.200", "en", Decimal("1.200")),  # ...one point two in English
        ("-0,38", "pt-BR", Decimal("-0.38")),
        ("1234.56", "pt-BR", Decimal("1234.56")),  # what a machine writes, whatever the locale
        (" 5200 ", "es-AR", Decimal("5200")),
    ],
)
def test_numbers_as_each_locale_writes_them(text: str, locale: str, value: Decimal) -> None:
    assert parse_number(text, locale) == value


@pytest.mark.parametrize(
    ("text", "locale"), [("1,234.56", "pt-BR"), ("1.234,56", "en"), ("12,34,5", "es-AR"), ("x", "en")]
)
def test_a_number_the_locale_does_not_write_names_the_form_expected(text: str, locale: str) -> None:
    with pytest.raises(ValueError, match=f"is not a number as {locale} writes it, such as 1"):
        parse_number(text, locale)


def test_a_binary_header_is_shown_escaped_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"\x00\x01garbage\n")
    with open_table(path, max_rows=10) as table, pytest.raises(TableError) as error:
        table.require("external_id")
    assert "found '\\x00\\x01garbage' (read as CSV, utf-8, ','-separated" in str(error.value)


def test_an_upload_s_bytes_are_read_as_its_file_would_be(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from ops.tabular import open_data

    content = "nome;valor\r\nJoão;1.234,56\r\n".encode("cp1252")
    with open_data(content, "upload.csv", max_rows=10) as table:
        assert (table.encoding, table.delimiter, table.columns) == ("cp1252", ";", ["nome", "valor"])
        assert [(row.line, row.values) for row in table] == [(2, {"nome": "João", "valor": "1.234,56"})]
    assert parse_number("1.234,56", "pt-BR") == Decimal("1234.56")
    book = Workbook()
    book.active.append(["nome", "valor"])
    book.active.append(["Ana", 12.5])
    book.save(tmp_path / "x.xlsx")
    with open_data((tmp_path / "x.xlsx").read_bytes(), "no-suffix", max_rows=10) as table:  # told by its zip signature
        assert table.describe() == "XLSX, first sheet"
        assert [row.values for row in table] == [{"nome": "Ana", "valor": "12.5"}]
    with pytest.raises(TableError, match=r"^upload\.csv: empty file"):
        open_data(b"", "upload.csv", max_rows=10)
