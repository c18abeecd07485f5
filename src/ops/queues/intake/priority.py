"""Ticket urgency: a base score from threats, reach, segment and reason, plus linear aging.

Scale: one point is one hour of waiting at the default aging rate (the queue's `aging_per_hour`,
1.0 by default), so a VIP ticket's 12 points mean it jumps 12 hours ahead.

Aging: `effective = base_score + aging_per_hour * hours_waited`. Within one aging rate this orders
tickets exactly as `base_score - aging_per_hour * epoch_seconds(created_at) / 3600`, descending,
which does not depend on "now": the database can store that key (`sort_key`) and index it.

Critical guarantee: a critical ticket's base is `critical_points` plus its other points, and a
non-critical base is capped at `non_critical_cap` (< `critical_points`). So a critical outranks any
non-critical of the same age, and any that has waited less than
`(critical_points - non_critical_cap) / aging_per_hour` hours longer (40 h with the defaults).
Aging stays unbounded on purpose: after that, even a low ticket overtakes new criticals, so
nothing starves behind a stream of threats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from typing import Literal

from ops.queues.intake.classification import KeywordMatcher, normalize_text

Level = Literal["critical", "high", "normal", "low"]

# Variants glued together ("reclameaqui") come from hashtags and @handles on social posts.
REGULATOR_TERMS: tuple[str, ...] = (
    # Brazil
    "anatel",
    "procon",
    "ouvidoria",
    "ombudsman",
    "consumidor.gov",
    "consumidorgov",
    "reclame aqui",
    "reclameaqui",
    "defesa do consumidor",
    "senacon",
    # Argentina
    "enacom",
    "defensa del consumidor",
    "defensa al consumidor",
    "defensa de los consumidores",
    "defensa de las y los consumidores",
    "defensor del pueblo",
    "defensoria del pueblo",
    "coprec",
)
# A bare "processo" is left out: "processo de portabilidade" is routine, not a threat.
LEGAL_TERMS: tuple[str, ...] = (
    "juizado",
    "pequenas causas",
    "advogado",
    "advogada",
    "processar",
    "processo judicial",
    "acao judicial",
    "justica",
    "abogado",
    "abogada",
    "demanda judicial",
    "juicio",
    "carta documento",
)


@cache
def _matcher(terms: tuple[str, ...]) -> KeywordMatcher:
    return KeywordMatcher(terms)


def _find(terms: tuple[str, ...], text: str) -> tuple[str, ...]:
    matcher = _matcher(terms)
    return matcher.findall(text) if matcher.search(text) else ()


@dataclass(frozen=True, slots=True)
class PriorityPolicy:
    """A contract's scoring weights (the `priority:` section of its file)."""

    base_points: float = 10.0
    critical_points: float = 100.0
    non_critical_cap: float = 60.0
    high_at: float = 20.0
    normal_at: float = 10.0
    vip_points: float = 12.0
    legal_points: float = 24.0
    reach_points_per_decade: float = 4.0
    reach_cap: float = 24.0
    vip_segments: frozenset[str] = frozenset({"vip", "corporate", "empresarial"})
    regulator_terms: tuple[str, ...] = REGULATOR_TERMS
    legal_terms: tuple[str, ...] = LEGAL_TERMS
    reason_points: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.non_critical_cap < self.critical_points:
            raise ValueError("non_critical_cap must be in [0, critical_points)")
        if self.reach_cap < 0 or self.reach_points_per_decade < 0:
            raise ValueError("reach_points_per_decade and reach_cap must not be negative")
        object.__setattr__(self, "vip_segments", frozenset(normalize_text(s).strip() for s in self.vip_segments))
        # Compiling here turns a bad term into an error at contract load, not at the first ticket.
        _matcher(tuple(self.regulator_terms))
        _matcher(tuple(self.legal_terms))


DEFAULT_POLICY = PriorityPolicy()


@dataclass(frozen=True, slots=True)
class PriorityResult:
    score: float
    level: Level
    critical: bool
    reasons: tuple[str, ...]


def reach_points(followers: int | None, policy: PriorityPolicy = DEFAULT_POLICY) -> float:
    """Points for a public post's exposure: log-scaled followers, capped (1M followers hit the cap)."""
    if not followers or followers <= 0:
        return 0.0
    return min(policy.reach_cap, policy.reach_points_per_decade * math.log10(1 + followers))


def prioritize(
    *,
    subject: str = "",
    body: str = "",
    segment: str | None = None,
    followers: int | None = None,
    reason: str | None = None,
    policy: PriorityPolicy = DEFAULT_POLICY,
) -> PriorityResult:
    """The base score of a ticket at intake (aging is added by `score_at` / `sort_key`)."""
    text = normalize_text(f"{subject}\n{body}")
    reasons: list[str] = []
    points = policy.base_points

    regulators = _find(policy.regulator_terms, text)
    reasons.extend(f"regulator_threat:{term}" for term in regulators)
    legal = _find(policy.legal_terms, text)
    if legal:
        points += policy.legal_points
        reasons.extend(f"legal_threat:{term}" for term in legal)
    if segment and normalize_text(segment).strip() in policy.vip_segments:
        points += policy.vip_points
        reasons.append(f"vip_segment:{segment}")
    reach = reach_points(followers, policy)
    if reach:
        points += reach
        reasons.append(f"social_reach:{followers}")
    if reason is not None and reason in policy.reason_points:
        points += policy.reason_points[reason]
        reasons.append(f"reason:{reason}")

    points = min(max(points, 0.0), policy.non_critical_cap)
    critical = bool(regulators)
    if critical:
        score = policy.critical_points + points
        level: Level = "critical"
    else:
        score = points
        level = "high" if score >= policy.high_at else "normal" if score >= policy.normal_at else "low"
    return PriorityResult(score=round(score, 3), level=level, critical=critical, reasons=tuple(reasons))


def _epoch_hours(moment: datetime) -> float:
    # Naive datetimes are the database's UTC timestamps (SQLite returns them without a zone).
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() / 3600.0


def score_at(base_score: float, created_at: datetime, now: datetime, aging_per_hour: float) -> float:
    """The effective score at `now`: base plus `aging_per_hour` for every hour waited."""
    return base_score + aging_per_hour * (_epoch_hours(now) - _epoch_hours(created_at))


def sort_key(base_score: float, created_at: datetime, aging_per_hour: float) -> float:
    """A time-free key ordering tickets of one aging rate as `score_at` does at any instant.

    Equals `score_at(...) - aging_per_hour * epoch_hours(now)`; sort descending. In SQL:
    `base_score - aging_per_hour * extract(epoch from created_at) / 3600`.
    """
    return base_score - aging_per_hour * _epoch_hours(created_at)


_NUMBER_FIELDS = (
    "base_points",
    "critical_points",
    "non_critical_cap",
    "high_at",
    "normal_at",
    "vip_points",
    "legal_points",
    "reach_points_per_decade",
    "reach_cap",
)


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{path}: expected a number, got {value!r}")
    return float(value)


def _strings(value: object, path: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{path}: expected a list of strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{path}[{i}]: expected a non-empty string, got {item!r}")
    return tuple(value)


def _terms(value: object, path: str) -> tuple[str, ...]:
    listed = _strings(value, path)
    for i, term in enumerate(listed):
        try:
            KeywordMatcher([term])
        except ValueError as exc:
            raise ValueError(f"{path}[{i}]: {exc}") from None
    return listed


def parse_policy(data: object, *, path: str = "priority") -> PriorityPolicy:
    """A policy from the contract file's `priority:` mapping; errors name the offending field path.

    `regulator_terms` and `legal_terms` replace the defaults; `extra_regulator_terms` and
    `extra_legal_terms` add to them.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected a mapping, got {type(data).__name__}")
    allowed = {f.name for f in fields(PriorityPolicy)} | {"extra_regulator_terms", "extra_legal_terms"}
    kwargs: dict[str, object] = {}
    terms = {"regulator_terms": REGULATOR_TERMS, "legal_terms": LEGAL_TERMS}
    extra_terms: dict[str, tuple[str, ...]] = {"regulator_terms": (), "legal_terms": ()}
    for key, value in data.items():
        where = f"{path}.{key}"
        if key not in allowed:
            raise ValueError(f"{where}: unknown field (allowed: {', '.join(sorted(allowed))})")
        if key in _NUMBER_FIELDS:
            kwargs[key] = _number(value, where)
        elif key == "vip_segments":
            kwargs[key] = frozenset(_strings(value, where))
        elif key == "reason_points":
            if not isinstance(value, Mapping):
                raise ValueError(f"{where}: expected a mapping of reason code to points")
            kwargs[key] = {str(code): _number(pts, f"{where}.{code}") for code, pts in value.items()}
        elif key in terms:
            terms[key] = _terms(value, where)
        else:
            extra_terms[key.removeprefix("extra_")] = _terms(value, where)
    for key, listed in terms.items():
        kwargs[key] = listed + extra_terms[key]
    try:
        return PriorityPolicy(**kwargs)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
