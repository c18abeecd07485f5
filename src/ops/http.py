"""What every controller shares at the HTTP edge: request values taken as text on purpose, rows mapped onto
response structs by field name (one mapping, instead of a field-by-field copy per controller), and what the decoder
refused said by the names the client sent (a body that is not JSON, a value of the wrong kind)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg

from ops import bounds, decoding, openapi
from ops.errors import InvalidInputError, MalformedBodyError, UnsupportedMediaTypeError

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


# --- what the decoder refused ---------------------------------------------------------------------


class EdgeRequest(Request[Any, Any, Any]):
    """The app's request: a JSON body that is not JSON at all is a 400 naming `body` and saying what breaks it, as
    intake's own reading does (`decoding.decode_json`), where Litestar answered msgspec's bare words ("Input data
    was truncated") with no field, and a body that is not UTF-8 was a 500 (msgspec raises UnicodeDecodeError,
    which Litestar lets through)."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except (SerializationException, UnicodeDecodeError) as exc:
            decoding.decode_json(await self.body())  # raises MalformedBodyError saying why
            raise MalformedBodyError(  # not reached: Litestar's decoder and ours refuse the same texts
                f"body: malformed JSON: {exc}", extra=[{"field": "body", "problem": f"malformed JSON: {exc}"}]
            ) from None


_MISSING_PARAMETER = re.compile(r"^Missing required \w+ parameter (?P<quote>['\"])(?P<name>.*?)(?P=quote) for path ")


def refused_values(request: Request[Any, Any, Any], exc: ValidationException) -> list[tuple[str, str]]:
    """(field, problem) of every value Litestar's decoder refused, each field by the name the client sent: a body's
    JSON path, or a parameter's own name where the handler's differs (`?open=` for `open_only`). Empty when the
    refusal names nothing the client sent (Litestar's 400 stands)."""
    if not isinstance(exc.extra, list):
        found = _MISSING_PARAMETER.match(str(exc.detail))
        return [(bounds.shown(found.group("name")), "required")] if found is not None else []
    problems = []
    for item in exc.extra:
        if not isinstance(item, dict):
            continue
        message, key = str(item.get("message", "")), str(item.get("key", ""))
        if item.get("source") == "body":
            problems.append(decoding.refused_value(message, "" if key == "data" else key))
        elif key:
            name = _public_name(request, key)
            sent = request.query_params.get(name) if item.get("source") == "query" else None
            problems.append(decoding.refused_value(message, name, sent=sent))
    return problems


def _public_name(request: Request[Any, Any, Any], parameter: str) -> str:
    """The name a handler's parameter has in the request: its alias (`QueryParameter(name="open")`), else its own."""
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return parameter
    declared = handler.parsed_fn_signature.parameters.get(parameter)
    kwarg = declared.kwarg_definition if declared is not None else None
    if isinstance(kwarg, ParameterKwarg):
        return kwarg.name or kwarg.query or kwarg.header or kwarg.cookie or parameter
    return parameter
