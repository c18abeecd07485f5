"""A row of a tabular file and the numbers in it, as people of each locale type them: the pure part of the one
reader (ops.tabular opens the files), so pure cores (an index series, an invoice as billed) can take its rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

LOCALES = ("pt-BR", "es-AR", "en")  # the languages a file's numbers may be written in (--locale)
_MACHINE_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its line (the physical line of a CSV, the sheet row of an XLSX), its values by column
    name (CSV text, or XLSX cells as typed), or the problem that kept it from being read."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


# --- numbers --------------------------------------------------------------------------------------------------


def parse_number(text: str, locale: str) -> Decimal:
    """A number as a person of `locale` (pt-BR, es-AR, en) types it: '1.234,56' in pt-BR and es-AR, '1,234.56' in
    en, with the locale's symbols from Babel; a plain machine number ('1234.56') as well. ValueError says what was
    expected."""
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "")
    if _MACHINE_NUMBER.fullmatch(cleaned) and "." not in cleaned:
        return Decimal(cleaned)  # digits alone read the same in every locale
    group, decimal, pattern = _number_format(locale)
    if pattern.fullmatch(cleaned):
        return Decimal(cleaned.replace(group, "").replace(decimal, "."))
    if _MACHINE_NUMBER.fullmatch(cleaned):
        return Decimal(cleaned)
    raise ValueError(f"{text!r} is not a number as {locale} writes it, such as 1{group}234{decimal}56")


@cache
def _number_format(locale: str) -> tuple[str, str, re.Pattern[str]]:
    """The locale's group and decimal symbols (Babel's) and the pattern of a number written with them: groups of
    three digits or none, then the decimals."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    tag = locale.replace("-", "_")
    group, decimal = get_group_symbol(tag), get_decimal_symbol(tag)
    g, d = re.escape(group), re.escape(decimal)
    return group, decimal, re.compile(rf"[+-]?(\d{{1,3}}({g}\d{{3}})+|\d+)({d}\d+)?")
