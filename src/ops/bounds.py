"""The bounds of every input at the edge, in one place: dates within a sane window, text without control characters,
finite numbers in range, JSON trees of bounded depth and string length, weeks that start on a Monday, and the
identifiers, e-mail addresses and URLs a contract file names.

Pure: each check returns the problem as text (None when the value is fine) or raises `InvalidInputError` naming the
field; the API, the CLI and the contract file all call these, so a value is judged the same way wherever it enters.
The date window is the one setting read here: the runtime sets it once from `Settings` (`set_window`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar
from urllib.parse import urlsplit

import msgspec

from ops.errors import InvalidInputError

# --- the date window ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """Dates an input may hold: from `earliest` to `future_years` years after today. Outside it a date is a typo
    (0002-01-01) or an attack: the pandas and SLA clocks behind every view cannot even represent some of them."""

    earliest: date = date(2000, 1, 1)
    future_years: int = 10

    def latest(self, today: date | None = None) -> date:
        today = today or datetime.now(UTC).date()
        try:
            return today.replace(year=today.year + self.future_years)
        except ValueError:  # 29 February
            return today.replace(year=today.year + self.future_years, day=28)


_window = Window()


def set_window(window: Window) -> None:
    """Called once per process by the runtime, from the settings."""
    global _window
    _window = window


def window() -> Window:
    return _window


def date_problem(value: date | datetime, *, today: date | None = None) -> str | None:
    day = value.date() if isinstance(value, datetime) else value
    latest = _window.latest(today)
    if day < _window.earliest or day > latest:
        return f"{value.isoformat()} is outside {_window.earliest.isoformat()} to {latest.isoformat()}"
    return None


# History (interval statistics and call logs, and the reports over them) may be older than any input: the reference
# data sets are from 1999 and 2003. Never older than this, where pandas' clocks still reach.
HISTORY_EARLIEST = date(1970, 1, 1)


def history_problem(value: date | datetime, *, today: date | None = None) -> str | None:
    """A date that reads history (a report's period): from 1970 to the end of the input window."""
    day = value.date() if isinstance(value, datetime) else value
    latest = _window.latest(today)
    earliest = min(HISTORY_EARLIEST, _window.earliest)
    if day < earliest or day > latest:
        return f"{value.isoformat()} is outside {earliest.isoformat()} to {latest.isoformat()}"
    return None


def week_problem(value: date) -> str | None:
    """A week parameter: a Monday within the window."""
    if (problem := date_problem(value)) is not None:
        return problem
    if value.weekday() != 0:
        return f"{value.isoformat()} is a {value.strftime('%A')}: a week starts on a Monday"
    return None


# --- text -----------------------------------------------------------------------------------------

# C0 and C1 control characters (NUL among them: PostgreSQL refuses it in text and JSON), DEL, and the lone
# surrogates no encoder can write. Long text (a ticket body, a note) may hold line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_LONG = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_TEXT = 100_000  # characters of any one string in a JSON tree or a file cell
MAX_DEPTH = 32  # nesting of a JSON tree (a ticket's raw payload, a contract file)
MAX_NODES = 100_000  # values in one tree: YAML aliases can make a 1 KB file hold billions ("billion laughs")


def text_problem(value: str, *, multiline: bool = False, max_length: int = MAX_TEXT) -> str | None:
    found = (_CONTROL_LONG if multiline else _CONTROL).search(value)
    if found is not None:
        return f"control character U+{ord(found.group()):04X} at position {found.start()} is not allowed"
    if len(value) > max_length:
        return f"too long: {len(value)} characters (at most {max_length})"
    return None


def shown(text: str) -> str:
    """A sender's text as an answer may name it back: a lone surrogate (a YAML "\\ud933" escape reads as one) as a
    \\uXXXX escape, since no answer can encode it as UTF-8 (a field named with one was a 500)."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def tree_problems(
    value: object, *, max_depth: int = MAX_DEPTH, max_text: int = MAX_TEXT, max_nodes: int = MAX_NODES
) -> list[tuple[str, str]]:
    """(path, problem) for every string with control characters (keys too), every string too long, every
    non-finite number, and the first place deeper than `max_depth`, in a JSON-like tree. Iterative: a tree
    thousands deep is reported, never a RecursionError; past `max_nodes` values the walk stops with that problem."""
    if _clean(value, max_depth, max_text, max_nodes):
        return []  # the common case, found without building a single path
    problems: list[tuple[str, str]] = []
    stack: list[tuple[str, object, int]] = [("", value, 0)]
    seen = 0
    while stack:  # depth first, in document order
        path, node, depth = stack.pop()
        seen += 1
        if seen > max_nodes:
            problems.append(("", f"more than {max_nodes:,} values"))
            break
        if isinstance(node, _KeyProblem):
            problems.append((path, node.problem))
        elif isinstance(node, Mapping | list | tuple) and depth >= max_depth:
            problems.append((path, f"nested deeper than {max_depth} levels"))
        elif isinstance(node, Mapping):
            children: list[tuple[str, object, int]] = []
            for key, item in node.items():
                name = shown(key) if isinstance(key, str) else str(key)
                sub = f"{path}.{name}" if path else name
                if isinstance(key, str) and (problem := text_problem(key, max_length=200)) is not None:
                    children.append((sub, _KeyProblem(f"field name: {problem}"), depth))
                else:
                    children.append((sub, item, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(node, list | tuple):
            stack.extend((f"{path}[{i}]", node[i], depth + 1) for i in reversed(range(len(node))))
        elif isinstance(node, str):
            if (problem := text_problem(node, multiline=True, max_length=max_text)) is not None:
                problems.append((path, problem))
        elif isinstance(node, float | Decimal) and not _finite(node):
            problems.append((path, f"{node} is not a finite number"))
    return problems


def _clean(value: object, max_depth: int, max_text: int, max_nodes: int) -> bool:
    """Whether a tree breaks no bound: the fast pass of `tree_problems` (no paths, stops at the first doubt)."""
    search, key_search = _CONTROL_LONG.search, _CONTROL.search
    stack: list[tuple[object, int]] = [(value, 0)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > max_nodes:
            return False
        kind = type(node)
        if kind is int or kind is bool or node is None:  # no ABC check of Mapping for the commonest leaves
            continue
        if isinstance(node, str):
            if len(node) > max_text or search(node):
                return False
        elif isinstance(node, dict | list | tuple):
            if depth >= max_depth:
                return False
            if isinstance(node, dict):
                for key in node:
                    if isinstance(key, str) and (len(key) > 200 or key_search(key)):
                        return False
                stack.extend((item, depth + 1) for item in node.values())
            else:
                stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, float | Decimal):
            if not _finite(node):
                return False
        elif isinstance(node, Mapping):  # a mapping that is not a dict: let the full walk judge it
            return False
    return True


@dataclass(frozen=True, slots=True)
class _KeyProblem:
    problem: str


def _finite(value: float | Decimal) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


# --- numbers --------------------------------------------------------------------------------------

MAX_MONEY = Decimal("1e12")  # a contract's value or a price: a trillion is a typo, Infinity a crash
MAX_VOLUME = 1_000_000  # calls or contacts in one interval: ten times the largest centre
MAX_SECONDS = 86_400  # a handle time, an interval, a patience
PERCENT_CHANGE = (-100.0, 1000.0)  # what-if volume and AHT changes, in percent


def number_problem(value: float | Decimal | int, *, low: float | Decimal, high: float | Decimal) -> str | None:
    if isinstance(value, float | Decimal) and not _finite(value):
        return f"{value} is not a finite number"
    if not low <= value <= high:
        return f"{value} is outside {low} to {high}"
    return None


def percent_problem(value: float) -> str | None:
    """A change in percent (+10 = 10 % more): -100 to 1000, so a what-if never sizes a billion calls."""
    return number_problem(value, low=PERCENT_CHANGE[0], high=PERCENT_CHANGE[1])


def target_percent_problem(value: float) -> str | None:
    """A service-level target typed in percent (85 for 85 %): above 0 and below 100, since no staffing reaches
    100 % within T."""
    if not math.isfinite(value) or not 0 < value < 100:
        return f"{value} is not a percentage above 0 and below 100 (type 85 for 85 %)"
    return None


def share_problem(value: float) -> str | None:
    """A share such as a service-level target: in (0, 1]."""
    if not math.isfinite(value) or not 0 < value <= 1:
        return f"{value} is not a share in (0, 1]"
    return None


MAX_ID = 2**31 - 1  # row ids are 32-bit integer columns: PostgreSQL refuses a larger parameter with a 500


def id_problem(value: int) -> str | None:
    if not -MAX_ID <= value <= MAX_ID:
        return f"{value} is not an id (at most {MAX_ID})"
    return None


def integer_of(value: object) -> int | None:
    """A non-negative integer from an int, a whole float or ASCII digits, or None. (`'²'.isdigit()` is True and
    `int('²')` fails: only ASCII digits are digits here.)"""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and value >= 0 else None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) < 19:
        return int(value.strip())
    return None


# --- names a contract file gives --------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)


def identifier_problem(value: str) -> str | None:
    """A name that becomes part of a file path or a job id: letters, digits, '-' and '_' only."""
    if _IDENTIFIER.fullmatch(value) is None:
        return f"{value!r} must be 1-64 letters, digits, '-' or '_', starting with a letter or digit"
    return None


def email_problem(value: str) -> str | None:
    if len(value) > 254 or _EMAIL.fullmatch(value) is None:
        return f"{value!r} is not an e-mail address such as reports@client.com.br"
    return None


def url_problem(value: str) -> str | None:
    """An http(s) URL with a host and nothing that could split a request line."""
    if text_problem(value, max_length=2000) is not None or " " in value:
        return f"{value!r} is not a URL: spaces and control characters are not allowed"
    parts = urlsplit(value)
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        return f"{value!r} is not an http(s) URL such as https://client.example/reports"
    return None


# --- raising at the edge ----------------------------------------------------------------------------


def refuse(problems: list[tuple[str, str]]) -> None:
    """Raise the 422 naming every (field, problem), or return when there are none."""
    if problems:
        raise InvalidInputError(
            "; ".join(f"{f}: {p}" for f, p in problems), extra=[{"field": f, "problem": p} for f, p in problems]
        )


def check_date(value: date | datetime, field: str) -> None:
    refuse([(field, p)] if (p := date_problem(value)) is not None else [])


def check_week(value: date, field: str = "week") -> None:
    refuse([(field, p)] if (p := week_problem(value)) is not None else [])


# --- msgspec structs at the HTTP edge ---------------------------------------------------------------

# Static bounds as msgspec constraints; the window and control characters, which msgspec cannot express in a
# message a user reads, are checked by `Bounded.__post_init__`.
Percent = Annotated[float, msgspec.Meta(ge=PERCENT_CHANGE[0], le=PERCENT_CHANGE[1])]
Share = Annotated[float, msgspec.Meta(gt=0, le=1)]
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


def struct_problems(
    struct: msgspec.Struct, multiline: frozenset[str] = frozenset(), amounts: frozenset[str] = frozenset()
) -> Iterator[tuple[str, str]]:
    """The bound problems of a struct's own fields (nested structs check themselves; free-form objects are
    checked as trees)."""
    for name in struct.__struct_fields__:
        value = getattr(struct, name)
        if isinstance(value, Mapping):
            yield from ((f"{name}.{path}", found) for path, found in tree_problems(value, max_depth=MAX_DEPTH - 1))
            continue
        values = value if isinstance(value, list | tuple) else (value,)
        for item in values:
            problem: str | None = None
            if isinstance(item, date):
                problem = date_problem(item)
            elif isinstance(item, str):
                problem = text_problem(item, multiline=name in multiline)
            elif isinstance(item, Decimal):  # money at the edge
                problem = number_problem(item, low=-MAX_MONEY, high=MAX_MONEY)
            elif isinstance(item, float) and not _finite(item):
                problem = f"{item} is not a finite number"
            elif isinstance(item, int) and not isinstance(item, bool):
                # A whole number a request carries (an id, a number, a count) lands in a 32-bit column or is compared
                # with one: a larger one was a 500 from the database driver. An amount (`amounts`) is money.
                high = MAX_MONEY if name in amounts else MAX_ID
                if not -high <= item <= high:
                    problem = f"{item} is out of range (at most {high:,.0f} either way)"
            if problem is not None:
                yield name, problem


class Bounded(msgspec.Struct):
    """A request shape whose dates, text and numbers are checked against the bounds as it is decoded: a bad
    value is a ValueError naming the field, which msgspec reports with its path and the app answers with 422.
    `__multiline__` names the fields that may hold line breaks and tabs, `__weeks__` those that start a week."""

    __multiline__: ClassVar[frozenset[str]] = frozenset()
    __weeks__: ClassVar[frozenset[str]] = frozenset()
    __amounts__: ClassVar[frozenset[str]] = frozenset()  # whole numbers that are money, bounded as money

    def __post_init__(self) -> None:
        for name, problem in struct_problems(self, self.__multiline__, self.__amounts__):
            raise ValueError(f"{BOUND_MARK}{name}: {problem}")
        for week in self.__weeks__:
            if (wrong := week_problem(getattr(self, week))) is not None:
                raise ValueError(f"{BOUND_MARK}{week}: {wrong}")


# The prefix the app's handler recognises in a decoding error (`ops.decoding.refused_value`), to answer a bound's
# breach naming the field as the bound wrote it.
BOUND_MARK = "out of bounds: "
