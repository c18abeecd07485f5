"""Retroactive recovery of undue charges: doubled, corrected by an index, with interest, within the legal window."""

from __future__ import annotations

from calendar import isleap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from ops.billing.indices.readjustment import index_factor
from ops.billing.indices.series import month_label, month_start, shift_month
from ops.billing.money import cents

Route = Literal["administrative", "judicial"]

_ONE = Decimal(1)
_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class OverpaidLine:
    """An amount the client paid and should not have. `doubled=None` follows the terms' default; False is for a
    charge the provider shows was a justifiable error (refunded once, not twice)."""

    description: str
    paid_on: date
    amount: Decimal
    doubled: bool | None = None

    def __post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount <= 0:
            raise ValueError(f"{self.description}: the overpaid amount must be above zero, got {self.amount}")


@dataclass(frozen=True)
class RecoveryTerms:
    """How undue charges are returned: corrected by `index` and with simple interest per whole month; how far
    back each route reaches (configurable, since courts have applied other windows, e.g. 10 years)."""

    index: str
    interest_monthly_pct: Decimal
    window_years_administrative: int = 3
    window_years_judicial: int = 5
    double_by_default: bool = True

    def __post_init__(self) -> None:
        if not self.interest_monthly_pct.is_finite() or self.interest_monthly_pct < 0:
            raise ValueError(f"interest_monthly_pct: must be 0 or more, got {self.interest_monthly_pct}")
        for name in ("window_years_administrative", "window_years_judicial"):
            years = getattr(self, name)
            if isinstance(years, bool) or not isinstance(years, int) or years < 1:
                raise ValueError(f"{name}: must be a whole number of years, 1 or more, got {years!r}")

    def window_years(self, route: Route) -> int:
        return self.window_years_administrative if route == "administrative" else self.window_years_judicial


@dataclass(frozen=True)
class RecoveryRow:
    """One line's projection. Amounts are in cents: `corrected` is the doubled (or single) amount times the
    correction factor, `interest` is on the corrected amount, `recoverable` = corrected + interest (0 outside
    the window). `months` are the index months used, from the payment month to the last one published."""

    description: str
    paid_on: date
    nominal: Decimal
    doubled: bool
    doubled_amount: Decimal
    correction_factor: Decimal
    floored: bool
    months: tuple[date, ...]
    corrected: Decimal
    interest_months: int
    interest: Decimal
    recoverable: Decimal
    within_window: bool
    note: str

    @property
    def last_month_used(self) -> date | None:
        return self.months[-1] if self.months else None


@dataclass(frozen=True)
class Totals:
    """Sums over a set of rows; outside the window only `nominal` and `doubled_amount` are non-zero."""

    lines: int
    nominal: Decimal
    doubled_amount: Decimal
    corrected: Decimal
    interest: Decimal
    recoverable: Decimal


@dataclass(frozen=True)
class Projection:
    """What can be recovered on `today` by `route`: payments on or after `window_start` are inside."""

    today: date
    route: Route
    index: str
    window_years: int
    window_start: date
    rows: tuple[RecoveryRow, ...]
    inside: Totals
    outside: Totals


def project(
    lines: Sequence[OverpaidLine],
    terms: RecoveryTerms,
    today: date,
    series: Mapping[str, Mapping[date, Decimal]],
    *,
    route: Route,
) -> Projection:
    """The recovery projection of `lines` on `today`, one row per line in the given order.

    Correction runs from the payment month to the last month of `terms.index` published before today's month
    (months not yet published are simply not used, and each row names its last month); a gap before that raises
    `MissingIndexMonth` naming every missing month. A deflation never takes the amount below the nominal: the
    factor is floored at 1 and the row flagged. Interest is simple, per whole month from payment to today."""
    if route not in ("administrative", "judicial"):
        raise ValueError(f"route: must be 'administrative' or 'judicial', got {route!r}")
    values = series.get(terms.index)
    if not values:
        raise ValueError(f"{terms.index}: no series given, cannot correct anything")
    years = terms.window_years(route)
    start = _years_before(today, years)
    published = [month for month in values if month < month_start(today)]
    last_published = max(published) if published else None
    rows = tuple(_row(line, terms, today, values, last_published, start, years, route) for line in lines)
    return Projection(
        today=today,
        route=route,
        index=terms.index,
        window_years=years,
        window_start=start,
        rows=rows,
        inside=_totals([row for row in rows if row.within_window]),
        outside=_totals([row for row in rows if not row.within_window]),
    )


def whole_months(start: date, end: date) -> int:
    """Complete months from `start` to `end`: a month is complete on the same day of a later month, or on that
    month's last day when it is shorter (31 January to 28 February is one month)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end < _add_months(start, months):
        months -= 1
    return max(months, 0)


def _row(
    line: OverpaidLine,
    terms: RecoveryTerms,
    today: date,
    values: Mapping[date, Decimal],
    last_published: date | None,
    start: date,
    years: int,
    route: Route,
) -> RecoveryRow:
    if line.paid_on > today:
        raise ValueError(f"{line.description}: paid on {line.paid_on}, after today {today}")
    doubled = terms.double_by_default if line.doubled is None else line.doubled
    doubled_amount = cents(line.amount * 2) if doubled else cents(line.amount)
    if line.paid_on < start:
        note = f"paid {line.paid_on}, before {start}: outside the {years}-year {route} window, not recoverable"
        return RecoveryRow(
            line.description,
            line.paid_on,
            line.amount,
            doubled,
            doubled_amount,
            _ONE,
            False,
            (),
            _ZERO,
            0,
            _ZERO,
            _ZERO,
            within_window=False,
            note=note,
        )
    first = month_start(line.paid_on)
    months: list[date] = []
    if last_published is not None:
        month = first
        while month <= last_published:
            months.append(month)
            month = shift_month(month, 1)
    notes: list[str] = []
    if months:
        raw = index_factor(values, months, index=terms.index)
        notes.append(f"{terms.index} {month_label(months[0])}..{month_label(months[-1])}")
    else:
        raw = _ONE
        notes.append(f"no {terms.index} month published since the payment: no correction yet")
    floored = raw < _ONE
    if floored:
        notes.append(f"deflation: factor {raw} floored at 1, never below the nominal amount")
    factor = _ONE if floored else raw
    corrected = cents(doubled_amount * factor)
    elapsed = whole_months(line.paid_on, today)
    interest = cents(corrected * terms.interest_monthly_pct / 100 * elapsed)
    if elapsed:
        notes.append(f"interest {terms.interest_monthly_pct} % a month × {elapsed} months")
    return RecoveryRow(
        description=line.description,
        paid_on=line.paid_on,
        nominal=line.amount,
        doubled=doubled,
        doubled_amount=doubled_amount,
        correction_factor=factor,
        floored=floored,
        months=tuple(months),
        corrected=corrected,
        interest_months=elapsed,
        interest=interest,
        recoverable=corrected + interest,
        within_window=True,
        note="; ".join(notes),
    )


def _totals(rows: Sequence[RecoveryRow]) -> Totals:
    def total(values: list[Decimal]) -> Decimal:
        return cents(sum(values, Decimal(0)))

    return Totals(
        lines=len(rows),
        nominal=total([row.nominal for row in rows]),
        doubled_amount=total([row.doubled_amount for row in rows]),
        corrected=total([row.corrected for row in rows]),
        interest=total([row.interest for row in rows]),
        recoverable=total([row.recoverable for row in rows]),
    )


def _add_months(day: date, months: int) -> date:
    target = shift_month(day, months)
    last_day = (shift_month(target, 1) - target).days
    return target.replace(day=min(day.day, last_day))


def _years_before(day: date, years: int) -> date:
    if day.month == 2 and day.day == 29 and not isleap(day.year - years):
        return date(day.year - years, 2, 28)
    return day.replace(year=day.year - years)
