"""The monthly measurement (boletim de medição): what was delivered in a period, as priced and traceable lines."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Literal, get_args

from ops.billing.measurement.periods import Period, commercial_days, split
from ops.billing.money import cents, unit_price
from ops.staffing.planning.oncall import LONG_DAY_MINIMUM, SHORT_DAY_MINIMUM, billable_hours

LineKind = Literal["positions", "reinforcement", "oncall", "ticket_time", "sla_credit", "sla_bonus", "adjustment"]
Proration = Literal["actual_days", "commercial_30"]
# A count that holds from a date on, until the next entry's date.
PositionChanges = Sequence[tuple[date, int]]

KINDS: tuple[str, ...] = get_args(LineKind)
_SIGNED_KINDS = frozenset({"sla_credit", "adjustment"})
QUANTITY_PLACES = Decimal("0.000001")  # prorated position counts keep 6 decimals
_HOURS = Decimal("0.0001")  # as staffing.oncall.billable_hours
_DAY = timedelta(days=1)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _once(ids: Iterable[int], what: str) -> None:
    # The same record twice would bill it twice.
    seen: set[int] = set()
    for record in ids:
        if record in seen:
            raise ValueError(f"{what} {record} listed twice")
        seen.add(record)


def _whole(value: object, least: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{what} must be a whole number >= {least}, got {value!r}")


def _text(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent, for descriptions (24.0000 -> 24)."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class Line:
    """One line of a measurement: `amount` = cents(`quantity` × `unit_price`), rounded half up at the line.

    Credits are negative amounts: only `sla_credit` and `adjustment` lines may carry a negative quantity or
    unit price, and an `sla_credit` is never positive (by convention quantity 1 at a negative unit price).
    `sources` names every record the line was computed from, so the client can contest it. `detail` holds the
    description's parts (counts, dates as ISO, ids) so that a document can word it in the reader's language.
    """

    kind: LineKind
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    sources: tuple[str, ...]
    detail: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: must be one of {', '.join(KINDS)}, not {self.kind!r}")
        for name in ("quantity", "unit_price", "amount"):
            value = getattr(self, name)
            # A float here would already have lost the exact value: refuse it rather than convert.
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValueError(f"{name}: must be a finite Decimal, got {value!r}")
        if self.kind not in _SIGNED_KINDS and (self.quantity < 0 or self.unit_price < 0):
            raise ValueError(f"quantity: a {self.kind} line cannot be negative ({self.quantity} × {self.unit_price})")
        if unit_price(self.unit_price) != self.unit_price:
            raise ValueError(f"unit_price: keeps at most 4 decimals, got {self.unit_price}")
        expected = cents(self.quantity * self.unit_price)
        if self.amount != expected or self.amount.as_tuple().exponent != -2:
            raise ValueError(f"amount: must be cents(quantity × unit_price) = {expected}, got {self.amount}")
        if self.kind == "sla_credit" and self.amount > 0:
            raise ValueError(f"amount: an sla_credit line is a credit (negative), got {self.amount}")
        if not self.sources or not all(isinstance(s, str) and s for s in self.sources):
            raise ValueError("sources: a line must name at least one source")


def line(
    kind: LineKind,
    description: str,
    quantity: Decimal,
    unit: str,
    price: Decimal,
    sources: Iterable[str],
    detail: Mapping[str, str] | None = None,
) -> Line:
    """A Line whose amount is computed: cents(quantity × price), half up."""
    return Line(kind, description, quantity, unit, price, cents(quantity * price), tuple(sources), dict(detail or {}))


@dataclass(frozen=True)
class Measurement:
    """The lines of one period's measurement and their total."""

    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))

    @property
    def total(self) -> Decimal:
        return sum((x.amount for x in self.lines), Decimal("0.00"))

    def subtotals(self) -> dict[str, Decimal]:
        """The total of each kind that has lines, in the order kinds are declared."""
        return {k: sum((x.amount for x in self.lines if x.kind == k), Decimal("0.00")) for k in KINDS if self.of(k)}

    def of(self, kind: str) -> tuple[Line, ...]:
        return tuple(x for x in self.lines if x.kind == kind)


# --- base positions ----------------------------------------------------------------------------


def _fraction(period: Period, piece: Period, proration: Proration) -> tuple[int, int]:
    """Numerator and denominator of the share of a position-month `piece` is worth."""
    if proration == "actual_days":
        return piece.days, period.days
    return commercial_days(period, piece), 30


def _positions_on(
    positions: Callable[[date], int] | PositionChanges, days: Period
) -> tuple[Callable[[date], int], set[date]]:
    """The count on each day and the days it changes on, from a function or a list of (from, count)."""
    if callable(positions):
        counts = {days.start + _DAY * i: positions(days.start + _DAY * i) for i in range(days.days)}
        changes = {d for d in counts if d != days.start and counts[d] != counts[d - _DAY]}
        for d, n in counts.items():
            _whole(n, 0, f"positions: the count on {d}")
        return counts.__getitem__, changes
    entries = sorted(positions)
    for (d, n), (following, _) in pairwise([*entries, (date.max, 0)]):
        _whole(n, 0, f"positions: the count from {d}")
        if following == d:
            raise ValueError(f"positions: two counts from {d}")

    def count(day: date) -> int:
        current = [n for d, n in entries if d <= day]
        if not current:
            raise ValueError(f"positions: no count for {day}")
        return current[-1]

    return count, {d for d, _ in entries}


def _price_on(prices: Sequence[tuple[date, Decimal]], day: date) -> tuple[date, Decimal]:
    valid = [p for p in prices if p[0] <= day]
    if not valid:
        raise ValueError(f"prices: no price valid on {day}")
    return max(valid, key=lambda p: p[0])


def position_lines(
    period: Period,
    positions: Callable[[date], int] | PositionChanges,
    prices: Sequence[tuple[date, Decimal]],
    *,
    proration: Proration,
    contract_code: str,
    contract_start: date | None = None,
    contract_end: date | None = None,
) -> list[Line]:
    """Base positions × the position-month price, one line per stretch of days with the same count and price.

    `period` counts as one month. A piece of it is worth piece days / period days ('actual_days') or its
    30/360 commercial days / 30 ('commercial_30': a full period is 30 days whatever its length, the 31st
    adds nothing, the last day of February makes up the month to 30). Pieces start where the count
    changes, where a price becomes valid (a readjustment) and where the contract starts or ends; days
    outside the contract are not billed. Quantity = positions × fraction, 6 decimals, half up.
    """
    if proration not in get_args(Proration):
        raise ValueError(f"proration: must be actual_days or commercial_30, not {proration!r}")
    if len({d for d, _ in prices}) != len(prices):
        raise ValueError("prices: two prices valid from the same date")
    start = period.start if contract_start is None else max(period.start, contract_start)
    end = period.end if contract_end is None else min(period.end, contract_end)
    if end < start:
        return []
    billed = Period(start, end)
    count_on, changes = _positions_on(positions, billed)
    cuts = changes | {d for d, _ in prices} | {billed.start, billed.end + _DAY}
    stretches: list[tuple[Period, int, tuple[date, Decimal]]] = []
    for piece in split(period, cuts):
        if piece.start not in billed:
            continue
        count, valid = count_on(piece.start), _price_on(prices, piece.start)
        # A repeated count or price splits nothing: join it to the stretch before.
        if stretches and stretches[-1][1:] == (count, valid):
            stretches[-1] = (Period(stretches[-1][0].start, piece.end), count, valid)
        else:
            stretches.append((piece, count, valid))
    lines = []
    for piece, count, (valid_from, price) in stretches:
        numerator, denominator = _fraction(period, piece, proration)
        quantity = (Decimal(count * numerator) / Decimal(denominator)).quantize(QUANTITY_PLACES, ROUND_HALF_UP)
        if quantity == 0:
            continue
        days = "days" if proration == "actual_days" else "commercial days"
        lines.append(
            line(
                "positions",
                f"{count} positions, {piece} ({numerator}/{denominator} {days})",
                quantity,
                "position-month",
                price,
                (f"contract:{contract_code}", f"price:{valid_from.isoformat()}"),
                {
                    "count": str(count),
                    "from": piece.start.isoformat(),
                    "to": piece.end.isoformat(),
                    "num": str(numerator),
                    "den": str(denominator),
                    "proration": proration,
                },
            )
        )
    return lines


# --- time-billed tickets -----------------------------------------------------------------------


@dataclass(frozen=True)
class TicketTime:
    ticket_id: int
    protocol: str
    resolved_at: datetime
    minutes_logged: Decimal


def ticket_time_lines(tickets: Sequence[TicketTime], minute_price: Decimal, minimum_minutes: int = 10) -> list[Line]:
    """One line per ticket (each can be contested on its own): 100 % of the logged minutes, never under
    `minimum_minutes` (a ticket with nothing logged still bills the minimum). Lines in order of resolution."""
    _whole(minimum_minutes, 0, "minimum_minutes:")
    _once((t.ticket_id for t in tickets), "tickets: ticket")
    lines = []
    for ticket in sorted(tickets, key=lambda t: (t.resolved_at, t.ticket_id)):
        logged = ticket.minutes_logged
        if not isinstance(logged, Decimal) or not logged.is_finite() or logged < 0:
            raise ValueError(f"tickets: ticket {ticket.ticket_id} has invalid logged minutes {logged!r}")
        billed = max(logged, Decimal(minimum_minutes))
        note = f", minimum {minimum_minutes}" if billed > logged else ""
        lines.append(
            line(
                "ticket_time",
                f"ticket {ticket.protocol}: {_text(logged)} min logged{note}",
                billed,
                "minute",
                minute_price,
                (f"ticket:{ticket.ticket_id}", f"protocol:{ticket.protocol}"),
                {
                    "protocol": ticket.protocol,
                    "logged": _text(logged),
                    "minimum": str(minimum_minutes) if billed > logged else "",
                },
            )
        )
    return lines


# --- on-call shifts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OnCallShift:
    id: int
    start: datetime
    scheduled_end: datetime
    ended_at: datetime | None
    specialists: int


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what}: needs a time zone (the local day decides the minimum), got {value}")


def oncall_hours(
    shift: OnCallShift,
    *,
    holidays: Set[date],
    mon_thu_min: Decimal = SHORT_DAY_MINIMUM,
    fri_sun_holiday_min: Decimal = LONG_DAY_MINIMUM,
) -> list[Decimal]:
    """Hours billed for each 24-hour period of `shift`, counted in real time from its start.

    Each period bills the hours worked in it (until the scheduled end, or the actual end when the shift
    ended early or late) but never under the minimum of the local day the period starts on, as
    `staffing.oncall.billable_hours` does for one shift: a shift under 24 hours bills exactly what it does.
    A period that starts after the shift ended bills nothing; the first period always bills its minimum.
    """
    _aware(shift.start, f"on-call shift {shift.id} start")
    _aware(shift.scheduled_end, f"on-call shift {shift.id} scheduled_end")
    if shift.ended_at is not None:
        _aware(shift.ended_at, f"on-call shift {shift.id} ended_at")
    if shift.scheduled_end <= shift.start:
        raise ValueError(f"on-call shift {shift.id}: must be scheduled to end after it starts")
    if shift.ended_at is not None and shift.ended_at < shift.start:
        raise ValueError(f"on-call shift {shift.id}: cannot end before it starts")
    end = shift.scheduled_end if shift.ended_at is None else shift.ended_at
    latest = max(shift.scheduled_end, end)
    origin, zone = shift.start.astimezone(UTC), shift.start.tzinfo
    hours: list[Decimal] = []
    k = 0
    # Periods step in UTC so each lasts 24 real hours; back in the shift's zone, .date() is the local day.
    while k == 0 or (origin + timedelta(hours=24 * k)) < end:
        period_start = (origin + timedelta(hours=24 * k)).astimezone(zone)
        period_end = origin + timedelta(hours=24 * (k + 1))
        planned = min(period_end, latest)
        actual = None if shift.ended_at is None else min(shift.ended_at, period_end)
        hours.append(
            billable_hours(
                period_start,
                planned,
                actual,
                holidays=holidays,
                mon_thu=mon_thu_min,
                fri_sun_holiday=fri_sun_holiday_min,
            )
        )
        k += 1
    return hours


def oncall_lines(
    shifts: Sequence[OnCallShift],
    hourly: Decimal,
    holidays: Set[date],
    mon_thu_min: Decimal = SHORT_DAY_MINIMUM,
    fri_sun_holiday_min: Decimal = LONG_DAY_MINIMUM,
) -> list[Line]:
    """One line per on-call shift: its billed hours (see `oncall_hours`) × specialists × the hourly rate."""
    _once((s.id for s in shifts), "on-call shift")
    lines = []
    for shift in sorted(shifts, key=lambda s: (s.start, s.id)):
        _whole(shift.specialists, 1, f"on-call shift {shift.id}: specialists")
        per_period = oncall_hours(
            shift, holidays=holidays, mon_thu_min=mon_thu_min, fri_sun_holiday_min=fri_sun_holiday_min
        )
        hours = sum(per_period, Decimal(0))
        end = (shift.ended_at or shift.scheduled_end).astimezone(shift.start.tzinfo)
        how = "ended" if shift.ended_at is not None else "scheduled until"
        breakdown = f" ({' + '.join(_text(h) for h in per_period)} per 24 h)" if len(per_period) > 1 else ""
        lines.append(
            line(
                "oncall",
                f"on-call shift {shift.id}: {shift.start:%Y-%m-%d %H:%M} {how} {end:%Y-%m-%d %H:%M}"
                f" {shift.start.tzname()}, {shift.specialists} × {_text(hours)} h{breakdown}",
                hours * shift.specialists,
                "specialist-hour",
                hourly,
                (f"oncall:{shift.id}",),
                {
                    "id": str(shift.id),
                    "start": shift.start.isoformat(),
                    "end": end.isoformat(),
                    "ended": "1" if shift.ended_at is not None else "",
                    "specialists": str(shift.specialists),
                    "hours": _text(hours),
                    "periods": " + ".join(_text(h) for h in per_period) if len(per_period) > 1 else "",
                },
            )
        )
    return lines


# --- reinforcement shifts ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutedShift:
    id: int
    start: datetime
    end: datetime
    agents: int


def reinforcement_lines(shifts: Sequence[ExecutedShift], hour_price: Decimal) -> list[Line]:
    """One line per executed reinforcement shift: real elapsed hours (4 decimals) × agents × the hour price."""
    _once((s.id for s in shifts), "reinforcement shift")
    lines = []
    for shift in sorted(shifts, key=lambda s: (s.start, s.id)):
        _aware(shift.start, f"reinforcement shift {shift.id} start")
        _aware(shift.end, f"reinforcement shift {shift.id} end")
        if shift.end <= shift.start:
            raise ValueError(f"reinforcement shift {shift.id}: must end after it starts")
        _whole(shift.agents, 1, f"reinforcement shift {shift.id}: agents")
        seconds = int((shift.end.astimezone(UTC) - shift.start.astimezone(UTC)).total_seconds())
        hours = (Decimal(seconds) / Decimal(3600)).quantize(_HOURS, ROUND_HALF_UP)
        lines.append(
            line(
                "reinforcement",
                f"reinforcement shift {shift.id}: {shift.start:%Y-%m-%d %H:%M}"
                f" to {shift.end.astimezone(shift.start.tzinfo):%Y-%m-%d %H:%M} {shift.start.tzname()},"
                f" {shift.agents} × {_text(hours)} h",
                hours * shift.agents,
                "agent-hour",
                hour_price,
                (f"reinforcement:{shift.id}",),
                {
                    "id": str(shift.id),
                    "start": shift.start.isoformat(),
                    "end": shift.end.astimezone(shift.start.tzinfo).isoformat(),
                    "agents": str(shift.agents),
                    "hours": _text(hours),
                },
            )
        )
    return lines


# --- SLA credits and bonuses -------------------------------------------------------------------


def sla_lines(
    statement_adjustment: Decimal, credits: Decimal, bonuses: Decimal, report_id: str, checksum: str
) -> list[Line]:
    """The SLA statement's credits as a negative line and its bonuses as a positive one (a zero one is left out).

    `credits` and `bonuses` are the statement's amounts as `reports.penalties.Statement` gives them (both
    >= 0, in cents); `statement_adjustment` (bonuses - credits) is checked against them. Both lines name the
    report and the SHA-256 of its file, so the client can check what was billed against what was sent.
    """
    for name, value in (("credits", credits), ("bonuses", bonuses), ("statement_adjustment", statement_adjustment)):
        if not isinstance(value, Decimal) or not value.is_finite() or cents(value) != value:
            raise ValueError(f"{name}: must be a Decimal amount in cents, got {value!r}")
    if credits < 0 or bonuses < 0:
        raise ValueError("credits, bonuses: are amounts >= 0 (the credit line carries the minus sign)")
    if bonuses - credits != statement_adjustment:
        raise ValueError(
            f"statement_adjustment: {statement_adjustment} is not bonuses - credits ({bonuses} - {credits})"
        )
    if not report_id:
        raise ValueError("report_id: must not be empty")
    if not _SHA256.fullmatch(checksum):
        raise ValueError(f"checksum: must be a lowercase hex SHA-256, got {checksum!r}")
    sources = (f"report:{report_id}", f"sha256:{checksum}")
    lines = []
    if credits:
        lines.append(
            line(
                "sla_credit",
                f"SLA service credits, report {report_id}",
                Decimal(1),
                "credit",
                -credits,
                sources,
                {"report": report_id},
            )
        )
    if bonuses:
        lines.append(
            line(
                "sla_bonus",
                f"SLA bonuses, report {report_id}",
                Decimal(1),
                "bonus",
                bonuses,
                sources,
                {"report": report_id},
            )
        )
    return lines
