"""Complaint replays held to the bounds (issue 13): a date outside the input window, a NUL and a field past the csv
module's 128 KB limit each cost their own line, named, and the lines around them are read."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from zoneinfo import ZoneInfo

from ops.queues.intake.complaints import RowProblem, read_complaints
from ops.queues.intake.rules import TicketData
from ops.tabular import open_table
from tests.conftest import FIXTURES

ROWS = list(csv.DictReader(io.StringIO((FIXTURES / "consumidor_slice.csv").read_text(encoding="utf-8-sig"))))


def _read(rows: list[dict[str, str]], path: Path) -> list[TicketData | RowProblem]:
    """The rows written as a complaint export, read back as tickets or the problems of their lines."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open_table(path, max_rows=10) as table:
        return list(read_complaints(table, tz=ZoneInfo("America/Sao_Paulo")))


def test_bad_lines_are_named_and_the_good_ones_read(tmp_path: Path) -> None:
    rows = [dict(r) for r in ROWS[:5]]
    rows[1]["data_abertura"] = "01/01/0001"
    rows[2]["nome_fantasia"] = "T\x00im"
    rows[3]["problema"] = "x" * 200_000
    items = _read(rows, tmp_path / "complaints.csv")
    problems = {p.line: p.problem for p in items if isinstance(p, RowProblem)}
    assert set(problems) == {3, 4, 5}
    assert problems[3].startswith("data_abertura: 0001-01-01 is outside 2000-01-01 to")
    assert problems[4] == "nome_fantasia: control character U+0000 at position 1 is not allowed"
    assert problems[5] == "not a CSV row (field larger than field limit (131072))"
    assert sum(isinstance(t, TicketData) for t in items) == 2


def test_a_date_that_does_not_parse_is_named_by_its_column(tmp_path: Path) -> None:
    """A row has three dates: the problem said "a date is not dd/mm/yyyy" without saying which."""
    rows = [dict(r) for r in ROWS[:3]]
    rows[0]["data_finalizacao"] = "31/02/2015"
    rows[1]["data_abertura"] = "2014-05-23"
    items = _read(rows, tmp_path / "complaints.csv")
    problems = {p.line: p.problem for p in items if isinstance(p, RowProblem)}
    assert problems == {
        2: "data_finalizacao: '31/02/2015' is not a date written dd/mm/yyyy",
        3: "data_abertura: '2014-05-23' is not a date written dd/mm/yyyy",
    }
