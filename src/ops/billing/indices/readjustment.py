"""Yearly price readjustment: the index window, the factor, fallbacks, weighted formulas and compounded prices."""

from __future__ import annotations

from calendar import isleap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ops.billing.indices.series import INDEX_NAME, month_label, month_start, shift_month
from ops.billing.money import FACTOR_PLACES, to_decimal, unit_price

NO_INDEX = "none"
"""The contract's index when its prices are never readjusted."""
FORMULA = "formula"
"""The rule's index when the factor is a weighted formula of several sources."""
PUBLIC_INDICES = ("IPCA", "IGP-M", "INPC")
AGREEMENT_PREFIX = "cct_"

DEFAULT_LAG = {"IGP-M": 1, "IPCA": 2, "INPC": 2}
"""Months between the anniversary month and the last month of the window when the contract does not say.

FGV publishes IGP-M at the end of the month it measures; IBGE publishes IPCA and INPC around the 10th of the
next month. On an anniversary (the 1st, say, of March) the last IGP-M already out is February's, the last IPCA
is January's, so the default window is fully published on the anniversary day:
IGP-M, lag 1: March of the previous year .. February; IPCA and INPC, lag 2: February of the previous year .. January.
"""

_ONE = Decimal(1)
_RULE_KEYS = ("index", "anniversary", "lag_months", "floor_zero", "fallback", "formula")
_WORK = 50  # digits while multiplying: twelve factors of a few digits each stay exact before the one rounding


class MissingIndexMonth(ValueError):
    """An index lacks a month the calculation needs; names the index and every missing month, so the gap is
    fixed once instead of one month per attempt. Never answered with a factor of 1."""

    def __init__(self, index: str, months: Iterable[date], *, context: str = "") -> None:
        self.index = index
        self.months = tuple(sorted(set(months)))
        listed = ", ".join(month_label(month) for month in self.months)
        super().__init__(f"{context}{index}: no published value for {listed}")


@dataclass(frozen=True)
class Component:
    """One term of a weighted formula: a public index or an agreement series `cct_<code>`, whose value is one
    yearly percentage stored at the anniversary month."""

    source: str
    weight: Decimal


@dataclass(frozen=True)
class ReadjustmentRule:
    """How a contract's prices follow an index. `anniversary` is the first readjustment date (later ones fall on
    the same day each year); `index` is `PUBLIC_INDICES`, `NO_INDEX`, or `FORMULA` when `weights` are given.
    `lag_months=None` takes `DEFAULT_LAG` of each index. `fallback` replaces an index whose window has a gap.

    Validation messages start with the contract file's field name (`formula[1].weight: ...`)."""

    index: str
    anniversary: date
    lag_months: int | None = None
    floor_zero: bool = False
    fallback: str | None = None
    weights: tuple[Component, ...] = ()

    def __post_init__(self) -> None:
        if self.lag_months is not None and (isinstance(self.lag_months, bool) or self.lag_months < 0):
            raise ValueError(f"lag_months: must be a whole number of months, 0 or more, got {self.lag_months!r}")
        if self.fallback is not None:
            if self.fallback not in PUBLIC_INDICES:
                raise ValueError(f"fallback: must be one of {', '.join(PUBLIC_INDICES)}, got {self.fallback!r}")
            if self.fallback == self.index:
                raise ValueError("fallback: must differ from the index it replaces")
        if self.index == NO_INDEX:
            if self.weights or self.fallback is not None:
                raise ValueError("index: 'none' takes neither a formula nor a fallback")
            return
        if self.weights:
            if self.index != FORMULA:
                raise ValueError(f"index: must be {FORMULA!r} (or left out) when a formula is given")
            _check_weights(self.weights)
        elif self.index not in PUBLIC_INDICES:
            expected = ", ".join((*PUBLIC_INDICES, NO_INDEX))
            raise ValueError(f"index: must be one of {expected} (or a formula), got {self.index!r}")


@dataclass(frozen=True)
class ComponentFactor:
    """A formula term as computed: the index actually used for it (its fallback when its window had a gap)."""

    source: str
    weight: Decimal
    factor: Decimal
    index_used: str
    months: tuple[date, ...]


@dataclass(frozen=True)
class Readjustment:
    """One anniversary's result. `factor` multiplies the prices; `raw_factor` is before the zero floor."""

    on: date
    factor: Decimal
    raw_factor: Decimal
    index: str
    months: tuple[date, ...]
    components: tuple[ComponentFactor, ...] = ()
    floored: bool = False
    fallback_used: bool = False
    note: str = ""


def window(anniversary_on: date, lag_months: int) -> list[date]:
    """The 12 month starts, oldest first, whose index readjusts prices on `anniversary_on`: the last is
    `lag_months` before the anniversary month."""
    if lag_months < 0:
        raise ValueError(f"lag_months: must be 0 or more, got {lag_months}")
    last = shift_month(anniversary_on, -lag_months)
    return [shift_month(last, offset) for offset in range(-11, 1)]


def index_factor(series: Mapping[date, Decimal], months: Iterable[date], *, index: str = "index") -> Decimal:
    """The product of (1 + pct/100) over `months`, rounded once to `FACTOR_PLACES` half up.
    Raises `MissingIndexMonth` naming every month absent from `series`."""
    wanted = list(months)
    missing = [month for month in wanted if month not in series]
    if missing:
        raise MissingIndexMonth(index, missing)
    with localcontext() as context:
        context.prec = _WORK
        product = _ONE
        for month in wanted:
            product *= _ONE + series[month] / 100
        return product.quantize(FACTOR_PLACES, ROUND_HALF_UP)


def readjust(rule: ReadjustmentRule, on: date, series: Mapping[str, Mapping[date, Decimal]]) -> Readjustment:
    """The readjustment of `rule` on the anniversary occurrence `on`, from series {index: {month: pct}}.

    The fallback index is used only when the main index lacks a month of its window, and the result says so.
    A weighted formula gives 1 + Σ weight × (factor − 1); an agreement term reads its yearly percentage at the
    anniversary month (no fallback: a missing agreement must be entered, not guessed). `floor_zero` turns a
    factor below 1 into exactly 1 (prices never fall) and sets `floored`."""
    if rule.index == NO_INDEX:
        return Readjustment(on, _ONE, _ONE, NO_INDEX, (), note="no readjustment: the contract's index is 'none'")
    if on not in anniversaries(rule.anniversary, on):
        raise ValueError(f"{on} is not an anniversary of {rule.anniversary}")
    notes: list[str] = []
    if rule.weights:
        components = tuple(_component(rule, term, on, series, notes) for term in rule.weights)
        with localcontext() as context:
            context.prec = _WORK
            weighted = _ONE + sum((term.weight * (term.factor - 1) for term in components), Decimal(0))
        raw = weighted.quantize(FACTOR_PLACES, ROUND_HALF_UP)
        used = FORMULA
        months = tuple(sorted({month for term in components for month in term.months}))
        fallback_used = any(term.index_used != term.source for term in components)
    else:
        raw, used, months = _with_fallback(rule, rule.index, on, series, notes)
        components = ()
        fallback_used = used != rule.index
    floored = rule.floor_zero and raw < _ONE
    if floored:
        notes.append(f"factor {raw} below 1 floored to 1 (floor_zero)")
    return Readjustment(
        on=on,
        factor=_ONE if floored else raw,
        raw_factor=raw,
        index=used,
        months=months,
        components=components,
        floored=floored,
        fallback_used=fallback_used,
        note="; ".join(notes),
    )


def compounded_price(base: Decimal, factors: Sequence[Decimal]) -> Decimal:
    """The base price times every factor so far, rounded once to 4 decimals. Rounding each year's price and
    compounding on the rounded one would let the rounding drift away from the contract's base."""
    with localcontext() as context:
        context.prec = _WORK
        price = base
        for factor in factors:
            price *= factor
        return unit_price(price)


def anniversaries(first: date, until: date) -> list[date]:
    """Yearly occurrences of `first` up to `until` inclusive; a 29 February falls on the 28th in common years."""
    found: list[date] = []
    year = first.year
    while (occurrence := _same_day(first, year)) <= until:
        found.append(occurrence)
        year += 1
    return found


def parse_rule(data: Mapping[str, object]) -> ReadjustmentRule:
    """A contract file's `readjustment:` mapping as a rule. Keys: index (IPCA, IGP-M, INPC, none; may be left
    out with a formula), anniversary (a date or YYYY-MM-DD), lag_months, floor_zero, fallback, and formula:
    a list of {index: NAME, weight: W} or {agreement: CODE, weight: W} whose weights sum to 1. An agreement's
    CODE becomes the series `cct_<CODE>` (a CODE already starting with `cct_` is kept). Errors are ValueErrors
    starting with the field path, e.g. "readjustment.formula[1].weight: must be in (0, 1]"."""
    path = "readjustment"
    unknown = [key for key in data if key not in _RULE_KEYS]
    if unknown:
        raise ValueError(f"{path}.{unknown[0]}: unknown key, expected {', '.join(_RULE_KEYS)}")
    formula = data.get("formula")
    weights = _parse_formula(formula, f"{path}.formula") if formula is not None else ()
    index = data.get("index", FORMULA if weights else None)
    if not isinstance(index, str):
        raise ValueError(f"{path}.index: required, one of {', '.join((*PUBLIC_INDICES, NO_INDEX))}")
    if "anniversary" not in data:
        raise ValueError(f"{path}.anniversary: required, the first readjustment date (YYYY-MM-DD)")
    anniversary = _parse_date(data["anniversary"], f"{path}.anniversary")
    lag = data.get("lag_months")
    if lag is not None and (isinstance(lag, bool) or not isinstance(lag, int)):
        raise ValueError(f"{path}.lag_months: must be a whole number of months, got {lag!r}")
    floor_zero = data.get("floor_zero", False)
    if not isinstance(floor_zero, bool):
        raise ValueError(f"{path}.floor_zero: must be true or false, got {floor_zero!r}")
    fallback = data.get("fallback")
    if fallback is not None and not isinstance(fallback, str):
        raise ValueError(f"{path}.fallback: must be an index name, got {fallback!r}")
    try:
        return ReadjustmentRule(index, anniversary, lag, floor_zero, fallback, weights)
    except ValueError as error:
        raise ValueError(f"{path}.{error}") from None


def _same_day(first: date, year: int) -> date:
    if first.month == 2 and first.day == 29 and not isleap(year):
        return date(year, 2, 28)
    return first.replace(year=year)


def _check_weights(terms: Sequence[Component]) -> None:
    seen: set[str] = set()
    for position, term in enumerate(terms):
        where = f"formula[{position}]"
        is_agreement = term.source.startswith(AGREEMENT_PREFIX) and INDEX_NAME.match(term.source) is not None
        if term.source not in PUBLIC_INDICES and not is_agreement:
            raise ValueError(f"{where}: {term.source!r} is neither IPCA, IGP-M, INPC nor an agreement cct_<code>")
        if term.source in seen:
            raise ValueError(f"{where}: {term.source} appears twice")
        seen.add(term.source)
        if not term.weight.is_finite() or not Decimal(0) < term.weight <= _ONE:
            raise ValueError(f"{where}.weight: must be in (0, 1], got {term.weight}")
    total = sum((term.weight for term in terms), Decimal(0))
    if total != _ONE:
        raise ValueError(f"formula: weights sum to {total}, must sum to 1")


def _parse_formula(value: object, path: str) -> tuple[Component, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{path}: must be a non-empty list of {{index|agreement, weight}}")
    terms: list[Component] = []
    for position, item in enumerate(value):
        where = f"{path}[{position}]"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}: must be a mapping {{index|agreement, weight}}")
        extra = [key for key in item if key not in ("index", "agreement", "weight")]
        if extra:
            raise ValueError(f"{where}.{extra[0]}: unknown key, expected index or agreement, and weight")
        if ("index" in item) == ("agreement" in item):
            raise ValueError(f"{where}: give exactly one of index or agreement")
        name = item.get("index", item.get("agreement"))
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where}: the index or agreement must be a name, got {name!r}")
        if "agreement" in item and not name.startswith(AGREEMENT_PREFIX):
            name = AGREEMENT_PREFIX + name
        if "weight" not in item:
            raise ValueError(f"{where}.weight: required, in (0, 1]")
        try:
            weight = to_decimal(item["weight"], f"{where}.weight")
        except ValueError as error:
            raise ValueError(f"{error}; must be in (0, 1]") from None
        terms.append(Component(name, weight))
    return tuple(terms)


def _parse_date(value: object, path: str) -> date:
    if isinstance(value, date) and type(value) is date:  # a datetime is a date too, but carries a time of day
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{path}: must be a date YYYY-MM-DD, got {value!r}")


def _with_fallback(
    rule: ReadjustmentRule, index: str, on: date, series: Mapping[str, Mapping[date, Decimal]], notes: list[str]
) -> tuple[Decimal, str, tuple[date, ...]]:
    months = window(on, DEFAULT_LAG[index] if rule.lag_months is None else rule.lag_months)
    try:
        return index_factor(series.get(index, {}), months, index=index), index, tuple(months)
    except MissingIndexMonth as missing:
        if rule.fallback is None:
            raise
        fallback = rule.fallback
        fallback_months = window(on, DEFAULT_LAG[fallback] if rule.lag_months is None else rule.lag_months)
        try:
            factor = index_factor(series.get(fallback, {}), fallback_months, index=fallback)
        except MissingIndexMonth as also:
            raise MissingIndexMonth(fallback, also.months, context=f"{missing}; fallback ") from missing
        span = f"{month_label(fallback_months[0])}..{month_label(fallback_months[-1])}"
        notes.append(f"fallback {fallback} ({span}) used because {missing}")
        return factor, fallback, tuple(fallback_months)


def _component(
    rule: ReadjustmentRule,
    term: Component,
    on: date,
    series: Mapping[str, Mapping[date, Decimal]],
    notes: list[str],
) -> ComponentFactor:
    if term.source.startswith(AGREEMENT_PREFIX):
        month = month_start(on)
        values = series.get(term.source, {})
        if month not in values:
            raise MissingIndexMonth(term.source, [month], context="agreement ")
        factor = (_ONE + values[month] / 100).quantize(FACTOR_PLACES, ROUND_HALF_UP)
        return ComponentFactor(term.source, term.weight, factor, term.source, (month,))
    factor, used, months = _with_fallback(rule, term.source, on, series, notes)
    return ComponentFactor(term.source, term.weight, factor, used, months)
