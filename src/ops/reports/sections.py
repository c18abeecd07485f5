"""The contract file's `penalties:` and `regulatory:` sections: parsing, and the checks the composition root
registers with the contract loader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ops.contracts.schemas import ContractFile
from ops.reports.penalties import parse_rules

RegulatoryKind = Literal["ticket_days", "daily_asa", "protocol_days"]
REGULATORY_KINDS: tuple[RegulatoryKind, ...] = ("ticket_days", "daily_asa", "protocol_days")

# The defaults of DOMAIN.md for a Brazilian telecom client, used when a contract names no rules:
# regulations change, so a contract file can override every number.
BR_TELECOM_DEFAULTS: list[dict[str, Any]] = [
    {
        "code": "consumer_demand_7d",
        "name": "Consumer demands answered within 7 calendar days (Decreto 11.034/2022, RGC 765/2023)",
        "kind": "ticket_days",
        "days": 7,
    },
    {
        "code": "regulator_complaint_10d",
        "name": "Complaints filed at the regulator answered within 10 days",
        "kind": "ticket_days",
        "days": 10,
        "critical_only": True,
    },
    {"code": "protocol_1d", "name": "Protocol sent to the customer within 1 day", "kind": "protocol_days", "days": 1},
    {
        "code": "max_wait_60s",
        "name": "Average wait of each day at most 60 s (90 s on Mondays and days around holidays)",
        "kind": "daily_asa",
        "seconds": 60,
        "busy_day_seconds": 90,
    },
]


@dataclass(frozen=True)
class RegulatoryRule:
    code: str
    name: str
    kind: RegulatoryKind
    days: int | None = None
    seconds: float | None = None
    busy_day_seconds: float | None = None
    queues: tuple[str, ...] = ()  # empty: every queue the kind applies to
    reasons: tuple[str, ...] = ()
    critical_only: bool = False
    required_share: float = 1.0


_FIELDS = {
    "code",
    "name",
    "kind",
    "days",
    "seconds",
    "busy_day_seconds",
    "queues",
    "reasons",
    "critical_only",
    "required_share",
}


def parse_regulatory(data: object) -> list[RegulatoryRule]:
    """Rules of a `regulatory:` section ({rules: [...]}, or {} for the Brazilian telecom defaults)."""
    if data is None or data == {}:
        data = {"rules": BR_TELECOM_DEFAULTS}
    if not isinstance(data, Mapping) or set(data) - {"rules"}:
        raise ValueError("regulatory: must be a mapping with one key, rules")
    items = data.get("rules", [])
    if not isinstance(items, list):
        raise ValueError("rules: must be a list")
    rules = []
    for i, item in enumerate(items):
        at = f"rules[{i}]"
        if not isinstance(item, Mapping):
            raise ValueError(f"{at}: must be a mapping of fields")
        extra = sorted(set(item) - _FIELDS)
        if extra:
            raise ValueError(f"{at}.{extra[0]}: unknown field")
        kind = item.get("kind")
        if kind not in REGULATORY_KINDS:
            raise ValueError(f"{at}.kind: must be one of {', '.join(REGULATORY_KINDS)}, not {kind!r}")
        code, name = item.get("code"), item.get("name", item.get("code"))
        if not isinstance(code, str) or not code or not isinstance(name, str):
            raise ValueError(f"{at}.code: must be text")
        days = _positive(item, "days", at, whole=True)
        seconds = _positive(item, "seconds", at)
        if kind in ("ticket_days", "protocol_days") and days is None:
            raise ValueError(f"{at}.days: a {kind} rule needs a number of days")
        if kind == "daily_asa" and seconds is None:
            raise ValueError(f"{at}.seconds: a daily_asa rule needs a number of seconds")
        share = item.get("required_share", 1.0)
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise ValueError(f"{at}.required_share: must be a share in (0, 1]")
        rules.append(
            RegulatoryRule(
                code=code,
                name=name,
                kind=kind,
                days=int(days) if days is not None else None,
                seconds=seconds,
                busy_day_seconds=_positive(item, "busy_day_seconds", at),
                queues=_codes(item, "queues", at),
                reasons=_codes(item, "reasons", at),
                critical_only=bool(item.get("critical_only", False)),
                required_share=float(share),
            )
        )
    return rules


def _positive(item: Mapping[str, Any], key: str, at: str, *, whole: bool = False) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"{at}.{key}: must be a positive number")
    if whole and int(value) != value:
        raise ValueError(f"{at}.{key}: must be a whole number")
    return float(value)


def _codes(item: Mapping[str, Any], key: str, at: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{at}.{key}: must be a list of codes")
    return tuple(value)


def check_penalties(rules: object, _contract: ContractFile) -> None:
    parse_rules(rules)


def check_regulatory(rules: object, _contract: ContractFile) -> None:
    parse_regulatory(rules)
