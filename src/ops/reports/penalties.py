"""Contract penalty and bonus rules (service credits, points tables, bonuses, caps) and their statement."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, cast

from ops.reports.metrics import ALL_QUEUES

# The `penalties:` section of a contract file, all shares of the monthly fee and KPI values as
# fractions (0.05 = 5 %):
#
#     penalties:
#       rules:
#         - kind: service_credit        # a share of the fee at risk, split across KPIs
#           name: Voice service credits
#           at_risk: 0.10               # also the cap of this rule's credits
#           kpis:
#             - {kpi: service_level, target: 0.80, allocation: 0.6}   # a miss costs 60 % of at_risk
#             - kpi: abandon_rate
#               target: 0.05
#               allocation: 0.6
#               queues: {care: 0.6, helpdesk: 0.4}                   # per-queue weights; default: all queues
#               multipliers: [{beyond: 0.05, factor: 2}]              # missed by more than 5 pp: twice
#         - kind: points                # points per step of miss, mapped to a share of the fee by bands
#           name: Tender points
#           kpis:
#             - {kpi: abandon_rate, target: 0.05, step: 0.01, points: 50}     # 50 points per pp above 5 %
#             - {kpi: service_level, target: 0.95, step: 0.001, points: 25}   # 25 per 0.1 pp below 95 %
#           bands: [{points: 0, share: 0}, {points: 100, share: 0.01}, {points: 300, share: 0.03}]
#         - {kind: bonus, kpi: service_level, target: 0.90, share: 0.02}      # paid when reached
#         # any term may state `precision` (default: 0.0001 for shares, i.e. 0.01 pp; 1 for seconds)
#         - {kind: cap, share: 0.12}    # all penalties together never exceed 12 % of the fee
#
# `direction` (at_least / at_most) defaults from the KPI; `rounding` of steps is `up` (each step
# or fraction of one, the usual tender wording), `down` or `exact`. Queue `*` means all queues.

Direction = Literal["at_least", "at_most"]
Rounding = Literal["up", "down", "exact"]
# Known KPIs (the names metrics.py produces) and the way they are good; None: must be stated.
KPI_DIRECTIONS: dict[str, Direction | None] = {
    "service_level": "at_least",
    "asa": "at_most",
    "aht": "at_most",
    "abandon_rate": "at_most",
    "abandon_rate_excl_short": "at_most",
    "occupancy": None,
    "first_response_within": "at_least",
    "resolution_within": "at_least",
}
# The precision a KPI is compared at unless its term states its own (a contract quoting "to 0.1 pp" writes
# `precision: 0.001`): shares to 0.01 pp, times to whole seconds. The measured value is rounded to it (half up)
# before it meets the target, so a float artefact such as 0.7999999999999999 for 80 % never costs a credit.
SHARE_PRECISION = Decimal("0.0001")
KPI_PRECISION: dict[str, Decimal] = {
    "service_level": SHARE_PRECISION,
    "asa": Decimal(1),
    "aht": Decimal(1),
    "abandon_rate": SHARE_PRECISION,
    "abandon_rate_excl_short": SHARE_PRECISION,
    "occupancy": SHARE_PRECISION,
    "first_response_within": SHARE_PRECISION,
    "resolution_within": SHARE_PRECISION,
}
CENT = Decimal("0.01")
ZERO = Decimal(0)

# queue -> KPI name -> value (None or NaN: no data, e.g. no calls offered); metrics.kpi_results
KpiResults = Mapping[str, Mapping[str, float | None]]


@dataclass(frozen=True)
class Multiplier:
    """Multiply a line's cost by `factor` when the KPI misses its target by more than `beyond`."""

    beyond: Decimal
    factor: Decimal


@dataclass(frozen=True)
class KpiTerm:
    kpi: str
    target: Decimal
    direction: Direction
    queues: tuple[tuple[str, Decimal], ...] = ((ALL_QUEUES, Decimal(1)),)
    multipliers: tuple[Multiplier, ...] = ()
    precision: Decimal | None = None  # None: KPI_PRECISION of the KPI

    def measured(self, actual: float) -> Decimal:
        """The actual value as the contract states it: rounded half up to the term's precision."""
        step = self.precision if self.precision is not None else KPI_PRECISION[self.kpi]
        return Decimal(str(actual)).quantize(step, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CreditKpi:
    term: KpiTerm
    allocation: Decimal


@dataclass(frozen=True)
class ServiceCreditRule:
    name: str
    at_risk: Decimal
    kpis: tuple[CreditKpi, ...]


@dataclass(frozen=True)
class PointsKpi:
    term: KpiTerm
    step: Decimal
    points: Decimal
    rounding: Rounding = "up"


@dataclass(frozen=True)
class Band:
    points: Decimal
    share: Decimal


@dataclass(frozen=True)
class PointsRule:
    name: str
    kpis: tuple[PointsKpi, ...]
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class BonusRule:
    name: str
    term: KpiTerm
    share: Decimal


@dataclass(frozen=True)
class CapRule:
    share: Decimal


Rule = ServiceCreditRule | PointsRule | BonusRule | CapRule


# --- parsing -------------------------------------------------------------------------------


def parse_rules(data: object) -> list[Rule]:
    """Rules of a contract's `penalties:` section (a mapping with `rules`, or the list itself).

    Raises ValueError whose message starts with the path of the bad field, e.g.
    `rules[1].kpis[0].step: must be a number > 0`.
    """
    if isinstance(data, Mapping):
        _no_extra(data, {"rules"}, "")
        data = data.get("rules", [])
    if not isinstance(data, list):
        raise ValueError("rules: must be a list")
    rules: list[Rule] = []
    for i, item in enumerate(data):
        path = f"rules[{i}]"
        entry = _mapping(item, path)
        kind = entry.get("kind")
        name = entry.get("name", f"{kind} {i + 1}")
        if not isinstance(name, str):
            raise ValueError(f"{path}.name: must be text")
        if kind == "service_credit":
            _no_extra(entry, {"kind", "name", "at_risk", "kpis"}, path)
            at_risk = _share(entry, "at_risk", path)
            kpis = [
                CreditKpi(_term(k, p), _number(k, "allocation", p, low=ZERO))
                for k, p in _items(entry, "kpis", path, {"allocation"})
            ]
            rules.append(ServiceCreditRule(name, at_risk, tuple(kpis)))
        elif kind == "points":
            _no_extra(entry, {"kind", "name", "kpis", "bands"}, path)
            points = [
                PointsKpi(
                    _term(k, p),
                    _number(k, "step", p, low=ZERO, strict=True),
                    _number(k, "points", p, low=ZERO, strict=True),
                    cast(Rounding, _choice(k, "rounding", p, ("up", "down", "exact"), "up")),
                )
                for k, p in _items(entry, "kpis", path, {"step", "points", "rounding"})
            ]
            rules.append(PointsRule(name, tuple(points), _bands(entry, path)))
        elif kind == "bonus":
            _no_extra(entry, {"kind", "name", "share", *_TERM_KEYS} - {"multipliers"}, path)
            rules.append(BonusRule(name, _term(entry, path), _share(entry, "share", path)))
        elif kind == "cap":
            _no_extra(entry, {"kind", "name", "share"}, path)
            if any(isinstance(r, CapRule) for r in rules):
                raise ValueError(f"{path}.kind: only one cap rule is allowed")
            rules.append(CapRule(_share(entry, "share", path)))
        else:
            raise ValueError(f"{path}.kind: must be service_credit, points, bonus or cap, not {kind!r}")
    return rules


_TERM_KEYS = {"kpi", "target", "direction", "queues", "multipliers", "precision"}


def _mapping(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{path}: must be a mapping of fields")
    return value


def _no_extra(entry: Mapping[str, object], allowed: set[str], path: str) -> None:
    extra = sorted(set(entry) - allowed)
    if extra:
        where = f"{path}.{extra[0]}" if path else extra[0]
        raise ValueError(f"{where}: unknown field (expected one of {', '.join(sorted(allowed))})")


def _items(entry: Mapping[str, object], key: str, path: str, extra: set[str]) -> list[tuple[Mapping[str, object], str]]:
    value = entry.get(key)
    if not isinstance(value, list) or not value:
        raise ValueError(f"{path}.{key}: must be a non-empty list")
    items = []
    for j, item in enumerate(value):
        at = f"{path}.{key}[{j}]"
        mapping = _mapping(item, at)
        _no_extra(mapping, _TERM_KEYS | extra, at)
        items.append((mapping, at))
    return items


def _number(
    entry: Mapping[str, object],
    key: str,
    path: str,
    *,
    low: Decimal | None = None,
    high: Decimal | None = None,
    strict: bool = False,
    default: Decimal | None = None,
) -> Decimal:
    value = entry.get(key)
    if value is None and default is not None:
        return default
    bounds = ""
    if low is not None:
        bounds += f" {'>' if strict else '>='} {low}"
    if high is not None:
        bounds += f"{' and' if bounds else ''} <= {high}"
    problem = f"{path}.{key}: must be a number{bounds}"
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(problem)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(problem) from None
    if not number.is_finite() or (low is not None and (number < low or (strict and number == low))):
        raise ValueError(problem)
    if high is not None and number > high:
        raise ValueError(problem)
    return number


def _share(entry: Mapping[str, object], key: str, path: str) -> Decimal:
    return _number(entry, key, path, low=ZERO, high=Decimal(1), strict=True)


def _choice(entry: Mapping[str, object], key: str, path: str, options: tuple[str, ...], default: str) -> str:
    value = entry.get(key, default)
    if value not in options:
        raise ValueError(f"{path}.{key}: must be one of {', '.join(options)}, not {value!r}")
    return str(value)


def _term(entry: Mapping[str, object], path: str) -> KpiTerm:
    kpi = entry.get("kpi")
    if kpi not in KPI_DIRECTIONS:
        raise ValueError(f"{path}.kpi: must be one of {', '.join(KPI_DIRECTIONS)}, not {kpi!r}")
    assert isinstance(kpi, str)
    default = KPI_DIRECTIONS[kpi]
    if "direction" not in entry and default is None:
        raise ValueError(f"{path}.direction: {kpi} needs a direction (at_least or at_most)")
    direction = cast(Direction, _choice(entry, "direction", path, ("at_least", "at_most"), default or ""))
    return KpiTerm(
        kpi=kpi,
        target=_number(entry, "target", path),
        direction=direction,
        queues=_queues(entry.get("queues"), f"{path}.queues"),
        multipliers=_multipliers(entry.get("multipliers"), f"{path}.multipliers"),
        precision=_number(entry, "precision", path, low=ZERO, strict=True) if "precision" in entry else None,
    )


def _queues(value: object, path: str) -> tuple[tuple[str, Decimal], ...]:
    if value is None:
        return ((ALL_QUEUES, Decimal(1)),)
    if isinstance(value, list) and value and all(isinstance(q, str) for q in value):
        value = dict.fromkeys(value, 1)
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{path}: must be a list of queue codes or a mapping of queue code to weight")
    weights = _mapping(value, path)
    return tuple((queue, _number(weights, queue, path, low=ZERO)) for queue in weights)


def _multipliers(value: object, path: str) -> tuple[Multiplier, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"{path}: must be a list of {{beyond, factor}}")
    result = []
    for j, item in enumerate(value):
        at = f"{path}[{j}]"
        entry = _mapping(item, at)
        _no_extra(entry, {"beyond", "factor"}, at)
        result.append(
            Multiplier(_number(entry, "beyond", at, low=ZERO), _number(entry, "factor", at, low=ZERO, strict=True))
        )
    return tuple(result)


def _bands(entry: Mapping[str, object], path: str) -> tuple[Band, ...]:
    value = entry.get("bands")
    if not isinstance(value, list) or not value:
        raise ValueError(f"{path}.bands: must be a non-empty list of {{points, share}}")
    bands = []
    for j, item in enumerate(value):
        at = f"{path}.bands[{j}]"
        band = _mapping(item, at)
        _no_extra(band, {"points", "share"}, at)
        bands.append(Band(_number(band, "points", at, low=ZERO), _number(band, "share", at, low=ZERO, high=Decimal(1))))
        if j and bands[-1].points <= bands[-2].points:
            raise ValueError(f"{at}.points: bands must be in increasing order of points")
    return tuple(bands)


# --- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """One KPI of one rule for one queue: target, actual, whether it was met and what that is worth."""

    rule: str
    kind: str
    kpi: str
    queue: str
    direction: Direction
    target: Decimal
    actual: float | None
    met: bool | None  # None: no data for this KPI and queue, nothing charged
    weight: Decimal
    multiplier: Decimal
    points: Decimal | None  # points rules only
    amount: Decimal  # money: a penalty for credits and points, paid to the provider for bonuses


@dataclass(frozen=True)
class RuleOutcome:
    rule: str
    kind: str
    amount_before_cap: Decimal
    amount: Decimal  # after the rule's own cap (a credit rule's amount at risk)
    points: Decimal | None = None
    band_share: Decimal | None = None


@dataclass(frozen=True)
class Statement:
    monthly_fee: Decimal
    lines: tuple[StatementLine, ...]
    rules: tuple[RuleOutcome, ...]
    penalties_before_cap: Decimal
    penalty_cap: Decimal | None
    penalties: Decimal  # credits and points, after every cap
    bonuses: Decimal
    adjustment: Decimal  # bonuses - penalties: what the invoice changes by


def evaluate(rules: Sequence[Rule], results: KpiResults, *, monthly_fee: Decimal) -> Statement:
    """Apply `rules` to a period's KPI values; money is rounded to cents line by line and totals add up."""
    if monthly_fee < 0:
        raise ValueError("monthly_fee must not be negative")
    lines: list[StatementLine] = []
    outcomes: list[RuleOutcome] = []
    cap: Decimal | None = None
    bonuses = ZERO
    for rule in rules:
        if isinstance(rule, CapRule):
            cap = _money(rule.share * monthly_fee)
        elif isinstance(rule, ServiceCreditRule):
            at_risk = _money(rule.at_risk * monthly_fee)
            new = [
                _line(rule.name, "service_credit", k.term, queue, weight, results, at_risk * k.allocation)
                for k in rule.kpis
                for queue, weight in k.term.queues
            ]
            total = sum((line.amount for line in new), ZERO)
            outcomes.append(RuleOutcome(rule.name, "service_credit", total, min(total, at_risk)))
            lines += new
        elif isinstance(rule, PointsRule):
            new, outcome = _points(rule, results, monthly_fee)
            outcomes.append(outcome)
            lines += new
        else:
            line = [_line(rule.name, "bonus", rule.term, q, w, results, ZERO) for q, w in rule.term.queues]
            earned = [_replace_amount(x, _money(rule.share * monthly_fee * x.weight) if x.met else ZERO) for x in line]
            amount = sum((x.amount for x in earned), ZERO)
            outcomes.append(RuleOutcome(rule.name, "bonus", amount, amount))
            bonuses += amount
            lines += earned
    before_cap = sum((o.amount for o in outcomes if o.kind != "bonus"), ZERO)
    penalties = before_cap if cap is None else min(before_cap, cap)
    return Statement(
        monthly_fee=monthly_fee,
        lines=tuple(lines),
        rules=tuple(outcomes),
        penalties_before_cap=before_cap,
        penalty_cap=cap,
        penalties=penalties,
        bonuses=bonuses,
        adjustment=bonuses - penalties,
    )


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _actual(results: KpiResults, queue: str, kpi: str) -> float | None:
    value = results.get(queue, {}).get(kpi)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _miss(term: KpiTerm, actual: float) -> Decimal:
    """How far the actual, at the contract's precision, is on the wrong side of the target (<= 0: met)."""
    value = term.measured(actual)
    return term.target - value if term.direction == "at_least" else value - term.target


def _factor(term: KpiTerm, miss: Decimal) -> Decimal:
    return max((m.factor for m in term.multipliers if miss > m.beyond), default=Decimal(1))


def _line(
    rule: str, kind: str, term: KpiTerm, queue: str, weight: Decimal, results: KpiResults, cost: Decimal
) -> StatementLine:
    actual = _actual(results, queue, term.kpi)
    met: bool | None = None
    factor = Decimal(1)
    amount = ZERO
    if actual is not None:
        miss = _miss(term, actual)
        met = miss <= 0
        if not met:
            factor = _factor(term, miss)
            amount = _money(cost * weight * factor)
    return StatementLine(
        rule, kind, term.kpi, queue, term.direction, term.target, actual, met, weight, factor, None, amount
    )


def _replace_amount(line: StatementLine, amount: Decimal, points: Decimal | None = None) -> StatementLine:
    return replace(line, amount=amount, points=points)


def _steps(miss: Decimal, step: Decimal, rounding: Rounding) -> Decimal:
    steps = miss / step
    if rounding == "up":
        return steps.to_integral_value(rounding=ROUND_CEILING)
    if rounding == "down":
        return steps.to_integral_value(rounding=ROUND_FLOOR)
    return steps


def _points(rule: PointsRule, results: KpiResults, fee: Decimal) -> tuple[list[StatementLine], RuleOutcome]:
    scored: list[StatementLine] = []
    for k in rule.kpis:
        for queue, weight in k.term.queues:
            line = _line(rule.name, "points", k.term, queue, weight, results, ZERO)
            points = None if line.met is None else ZERO
            if line.met is False and line.actual is not None:
                steps = _steps(_miss(k.term, line.actual), k.step, k.rounding)
                points = steps * k.points * weight * line.multiplier
            scored.append(_replace_amount(line, ZERO, points))
    total = sum((x.points or ZERO for x in scored), ZERO)
    reached = [b for b in rule.bands if b.points <= total]
    share = reached[-1].share if reached else ZERO
    amount = _money(share * fee)
    # Spread the rule's money over its lines by points, the last line taking the rounding rest.
    spread: list[StatementLine] = []
    left = amount
    scoring = [i for i, x in enumerate(scored) if x.points]
    for i, line in enumerate(scored):
        part = ZERO
        if amount and i in scoring:
            part = left if i == scoring[-1] else _money(amount * (line.points or ZERO) / total)
            left -= part
        spread.append(_replace_amount(line, part, line.points))
    return spread, RuleOutcome(rule.name, "points", amount, amount, points=total, band_share=share)
