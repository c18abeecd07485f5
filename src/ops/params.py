"""Parsing of request values that are taken as text on purpose (a typed date path parameter answers 404
before authentication runs, so dates arrive as strings and are checked here, after the guards)."""

from __future__ import annotations

from datetime import date

from ops.errors import InvalidInputError


def parse_day(value: str, field: str) -> date:
    """A YYYY-MM-DD date, or a 422 naming the field."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"{field}: {value!r} is not a date YYYY-MM-DD", extra=[{"field": field, "problem": "not a date"}]
        ) from None
