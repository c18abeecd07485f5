"""What every controller shares at the HTTP edge: request values taken as text on purpose, and rows mapped
onto response structs by field name (one mapping, instead of a field-by-field copy per controller)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, TypeVar

import msgspec
from litestar import Request

from ops import bounds, openapi
from ops.errors import InvalidInputError, UnsupportedMediaTypeError

S = TypeVar("S", bound=msgspec.Struct)
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


async def at_the_edge(request: Request[Any, Any, Any]) -> None:
    """Before any handler: an API body of a kind its operation does not read (text/plain sent to a JSON operation)
    is a 415 naming Content-Type, never parsed as JSON anyway; then every parameter is held to the bounds."""
    if (problem := openapi.media_type_problem(request)) is not None:
        raise UnsupportedMediaTypeError(
            f"Content-Type: {problem}", extra=[{"field": "Content-Type", "problem": problem}]
        )
    await bounded_parameters(request)


async def bounded_parameters(request: Request[Any, Any, Any]) -> None:
    """Every path and query parameter and every field of a page form held to the text bounds before any handler
    runs: a NUL in `?contract=` or in a form's note reached PostgreSQL, which refuses it with a 500. A 422 names
    the parameter. (The form is parsed once: the handler reads the same copy.)"""
    problems = [
        (str(name), problem)
        for name, value in [*request.path_params.items(), *request.query_params.multi_items()]
        if (problem := _parameter_problem(value)) is not None
    ]
    if request.method in ("POST", "PUT", "PATCH") and request.content_type[0] in _FORMS:
        for name, value in (await request.form()).multi_items():
            if (problem := bounds.text_problem(name, max_length=200)) is not None:
                problems.append((name, f"field name: {problem}"))
            elif isinstance(value, str) and (problem := bounds.text_problem(value, multiline=True)) is not None:
                problems.append((name, problem))
    bounds.refuse(problems)


def _parameter_problem(value: object) -> str | None:
    if isinstance(value, str):
        return bounds.text_problem(value, max_length=2000)
    if isinstance(value, int):  # a path's {id:int}: 3000000000 was a 500 on PostgreSQL, 10**20 on SQLite too
        return bounds.id_problem(value)
    return None


_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def parse_day(value: str, field: str, *, history: bool = False) -> date:
    """A YYYY-MM-DD date within the input window (`history`: one that reads history, from 1970), or a 422 naming
    the field. (A typed date path parameter answers 404 before authentication runs, so dates arrive as strings and
    are checked here, after the guards.)"""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"{field}: {value!r} is not a date YYYY-MM-DD", extra=[{"field": field, "problem": "not a date"}]
        ) from None
    # 0001-01-01 is a date, and no report or deadline can be computed for it.
    problem = bounds.history_problem(day) if history else bounds.date_problem(day)
    bounds.refuse([(field, problem)] if problem is not None else [])
    return day


def parse_month(value: str, field: str) -> date:
    """A month YYYY-MM as its first day, or a 422 naming the field (index series are kept by month). Months
    read history (an index series, a month's shifts), so they reach back to 1970, never to year 1 or 9999."""
    match = _MONTH.match(value.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise InvalidInputError(
            f"{field}: {value!r} is not a month YYYY-MM", extra=[{"field": field, "problem": "not a month YYYY-MM"}]
        )
    first = date(int(match.group(1)), int(match.group(2)), 1)
    problem = bounds.history_problem(first)
    bounds.refuse([(field, problem)] if problem is not None else [])
    return first


def parse_month_span(value: str, field: str = "month") -> tuple[date, date]:
    """A YYYY-MM month as (its first day, the first day of the next month), or a 422 naming the field."""
    first = parse_month(value, field)
    return first, date(first.year + first.month // 12, first.month % 12 + 1, 1)


def to_struct(cls: type[S], source: Any, /, **values: Any) -> S:
    """A response struct filled from `source`'s attributes of the same names; `values` name what differs
    (a related row's code, a computed count). A field the source lacks keeps its default."""
    kwargs: dict[str, Any] = {}
    for name in cls.__struct_fields__:
        if name in values:
            kwargs[name] = values[name]
        elif hasattr(source, name):
            kwargs[name] = getattr(source, name)
    return cls(**kwargs)
