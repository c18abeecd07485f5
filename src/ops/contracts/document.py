"""Reading, validating, normalising and diffing contract files (pure: text in, structs out)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import msgspec.inspect
import yaml

from ops import bounds, decoding
from ops.calendars import Calendar, CalendarError
from ops.contracts.schemas import VOICE_KINDS, ContractFile


class ContractFileError(ValueError):
    """A contract file that cannot be loaded; the message names the file, the field path and the problem."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        self.source, self.path, self.problem = source, path, problem
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {problem}")


# Checks of the free-form sections whose rules a domain owns (classification and priority by queues,
# penalties by reports): the composition root registers them, so this base imports no domain. A check
# gets the section's value and the whole contract (to check names against its queues).
SectionValidator = Callable[[Any, ContractFile], object]
SECTION_VALIDATORS: dict[str, SectionValidator] = {}


def register_section_validator(section: str, validator: SectionValidator) -> None:
    if section not in ContractFile.__struct_fields__:
        raise ValueError(f"the contract file has no section {section!r}")
    SECTION_VALIDATORS[section] = validator


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text: msgspec then reads them into the typed fields and names the field of
    an impossible one (2026-02-30), where YAML's own date constructor failed with no field at all."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_MSGSPEC_PATH = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)


def parse_contract(text: str | bytes, source: str = "<contract>") -> ContractFile:
    """Parse and fully validate a contract file; raise ContractFileError on the first problem."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ContractFileError(source, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(data, Mapping):
        raise ContractFileError(source, "", "a contract file must be a mapping of fields")
    for path, problem in bounds.tree_problems(data):
        raise ContractFileError(source, path, problem)
    try:
        contract = msgspec.convert(data, ContractFile, strict=False)
    except msgspec.ValidationError as exc:
        m = _MSGSPEC_PATH.match(str(exc))
        assert m is not None
        # Said as the API says it of any body ("not a valid date (YYYY-MM-DD)"), the missing field named itself.
        path, problem = decoding.located(m.group("msg"), (m.group("path") or "").lstrip("."))
        problem = decoding.worded(problem)
        allowed = _allowed_values(path)
        if allowed and problem.startswith("Invalid enum value"):
            problem += f" (allowed: {', '.join(allowed)})"
        raise ContractFileError(source, path, problem) from exc
    if not SECTION_VALIDATORS:
        # Loading a contract unchecked would accept what the domains refuse later, at the worst moment.
        raise RuntimeError("the contract sections' checks are not registered: call ops.composition.wire() first")
    _check(contract, source)
    return contract


def _allowed_values(path: str) -> list[str]:
    """The values a Literal field takes, found by walking the struct types along a field path."""
    node: Any = msgspec.inspect.type_info(ContractFile)
    for part in re.sub(r"\[\d+\]", "", path).split("."):
        while isinstance(node, (msgspec.inspect.ListType, msgspec.inspect.DictType)):
            node = node.item_type if isinstance(node, msgspec.inspect.ListType) else node.value_type
        if not isinstance(node, msgspec.inspect.StructType):
            return []
        node = next((f.type for f in node.fields if f.name == part), None)
    while isinstance(node, msgspec.inspect.ListType):
        node = node.item_type
    return [str(v) for v in node.values] if isinstance(node, msgspec.inspect.LiteralType) else []


def _check(c: ContractFile, source: str) -> None:
    def fail(path: str, problem: str) -> None:
        raise ContractFileError(source, path, problem)

    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,49}", c.code):
        fail("code", f"{c.code!r} must be 1-50 lowercase letters, digits, '-' or '_'")
    if not c.starts_on <= c.ends_on:
        fail("ends_on", f"{c.ends_on} is before starts_on {c.starts_on}")
    for path, day in (
        ("signed_on", c.signed_on),
        ("starts_on", c.starts_on),
        ("ends_on", c.ends_on),
        ("readjustment.anniversary", c.readjustment.anniversary),
    ):
        if (problem := bounds.date_problem(day)) is not None:
            fail(path, problem)
    if c.value < 0:
        fail("value", "must not be negative")
    for path, amount in _money(c):
        if (problem := bounds.number_problem(amount, low=0, high=bounds.MAX_MONEY)) is not None:
            fail(path, problem)
    for i, delivery in enumerate(c.deliveries):
        if (problem := bounds.identifier_problem(delivery.name)) is not None:
            fail(f"deliveries[{i}].name", problem)
    for i, address in enumerate(c.recipients):
        if (problem := bounds.email_problem(address)) is not None:
            fail(f"recipients[{i}]", problem)
    if c.webhook_url is not None and (problem := bounds.url_problem(c.webhook_url)) is not None:
        fail("webhook_url", problem)
    try:
        ZoneInfo(c.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail("timezone", f"unknown time zone {c.timezone!r}")
    for name, cal in c.calendars.items():
        try:
            Calendar.from_dict(cal)
        except CalendarError as exc:
            fail(f"calendars.{name}.{_cal_path(exc)}", _cal_problem(exc))
    if not c.queues:
        fail("queues", "a contract needs at least one queue")
    seen: set[str] = set()
    for i, q in enumerate(c.queues):
        at = f"queues[{i}]"
        if q.code in seen:
            fail(f"{at}.code", f"duplicate queue code {q.code!r}")
        seen.add(q.code)
        if isinstance(q.calendar, str):
            if q.calendar not in c.calendars:
                fail(f"{at}.calendar", f"unknown calendar {q.calendar!r} (defined: {sorted(c.calendars)})")
        else:
            try:
                Calendar.from_dict(q.calendar)
            except CalendarError as exc:
                fail(f"{at}.calendar.{_cal_path(exc)}", _cal_problem(exc))
        if q.base_positions < 0:
            fail(f"{at}.base_positions", "must not be negative")
        voice = q.kind in VOICE_KINDS
        if voice and q.sla.voice is None:
            fail(f"{at}.sla.voice", f"a {q.kind} queue needs a voice SLA")
        if not voice and q.sla.tickets is None:
            fail(f"{at}.sla.tickets", f"a {q.kind} queue needs ticket SLA targets")
        if q.sla.voice and not 0 < q.sla.voice.target <= 1:
            fail(f"{at}.sla.voice.target", f"{q.sla.voice.target} must be a share in (0, 1]")
        for prio, t in (q.sla.tickets or {}).items():
            for name in ("first_response", "resolution", "next_response"):
                v = getattr(t, name)
                if v is not None and v <= 0:
                    fail(f"{at}.sla.tickets.{prio}.{name}", "must be a positive number of business minutes")
        codes: set[str] = set()
        for j, r in enumerate(q.reasons):
            if r.code in codes:
                fail(f"{at}.reasons[{j}].code", f"duplicate reason code {r.code!r}")
            codes.add(r.code)
    if c.default_queue is not None and c.default_queue not in seen:
        fail("default_queue", f"unknown queue {c.default_queue!r}")
    for section, validate in SECTION_VALIDATORS.items():
        try:
            validate(getattr(c, section), c)
        except ValueError as exc:
            message = str(exc)
            # Validators that know their section name its field path themselves ("classification[1].queue: ...").
            if message.startswith(section) and ": " in message:
                path, problem = message.split(": ", 1)
                fail(path, problem)
            fail(section, message)


def _money(c: ContractFile) -> list[tuple[str, Decimal]]:
    """Every amount of money the file states, by its path."""
    amounts = [("value", c.value)]
    if c.prices is not None:
        p = c.prices
        amounts += [
            ("prices.position_month", p.position_month),
            ("prices.reinforcement_hour", p.reinforcement_hour),
            ("prices.ticket_minute", p.ticket_minute),
            ("prices.taxes", p.taxes),
        ]
        if p.oncall is not None:
            amounts.append(("prices.oncall.hourly", p.oncall.hourly))
    return amounts


def _cal_path(exc: CalendarError) -> str:
    return str(exc).split(":", 1)[0] if ":" in str(exc) else ""


def _cal_problem(exc: CalendarError) -> str:
    return str(exc).split(":", 1)[1].strip() if ":" in str(exc) else str(exc)


def to_document(contract: ContractFile) -> dict[str, Any]:
    """The canonical JSON-safe form stored in the database and written back on export."""
    doc: dict[str, Any] = plain(contract)
    return doc


def plain(struct: Any) -> Any:
    """A struct as JSON-safe builtins: dates as ISO text, money as exact decimal text."""
    return json.loads(json.dumps(msgspec.to_builtins(struct, builtin_types=(date, Decimal)), default=_json_default))


def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Decimal keeps its exact text (money); YAML export turns it back into a number.
        return str(value)
    raise TypeError(type(value).__name__)


def checksum(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def from_document(document: Mapping[str, Any]) -> ContractFile:
    return msgspec.convert(document, ContractFile, strict=False)


def to_yaml(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(_yaml_ready(document), sort_keys=False, allow_unicode=True, width=100)


_DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


def _yaml_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _yaml_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_yaml_ready(v) for v in value]
    if isinstance(value, str) and _DECIMAL_TEXT.match(value) and "." in value:
        return float(value) if len(value) < 16 else value
    return value


def diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Field-level differences between two documents: [{path, before, after}], lists by index
    (queues and reasons by code, so a reorder is not reported as a change of every field)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        out: list[dict[str, Any]] = []
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in after:
                out.append({"path": sub, "before": before[key], "after": None})
            elif key not in before:
                out.append({"path": sub, "before": None, "after": after[key]})
            else:
                out.extend(diff(before[key], after[key], sub))
        return out
    if isinstance(before, list) and isinstance(after, list):
        if _coded(before) and _coded(after):
            return diff({i["code"]: i for i in before}, {i["code"]: i for i in after}, path)
        if len(before) == len(after):
            return [d for i, (b, a) in enumerate(zip(before, after, strict=True)) for d in diff(b, a, f"{path}[{i}]")]
    return [] if before == after else [{"path": path, "before": before, "after": after}]


def _coded(items: list[Any]) -> bool:
    return all(isinstance(i, Mapping) and "code" in i for i in items)
