"""Series files given to the pure parser as the one reader (ops.tabular) gives them to the import."""

from __future__ import annotations

from pathlib import Path

from ops.billing.indices.series import IndexValue, parse_series
from ops.tabular import open_data, open_table


def read_series(text: str | bytes, locale: str = "en") -> list[IndexValue]:
    data = text.encode() if isinstance(text, str) else text
    with open_data(data, "series.csv", max_rows=100_000) as table:
        return parse_series(table.columns, table, locale=locale)


def read_series_file(path: Path, locale: str = "en") -> list[IndexValue]:
    with open_table(path, max_rows=100_000) as table:
        return parse_series(table.columns, table, locale=locale)
