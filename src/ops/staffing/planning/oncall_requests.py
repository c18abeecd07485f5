"""On-call shifts the manager requests for a contract: recorded, ended early, listed with their billable hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal
from ops.calendars import Calendar
from ops.contracts.document import from_document
from ops.contracts.models import Contract
from ops.contracts.schemas import OnCallPrice
from ops.contracts.services import get_contract
from ops.errors import ConflictError, InvalidInputError, NotFoundError
from ops.staffing.planning.models import OnCallShift
from ops.staffing.planning.oncall import billable_hours_by_period

MAX_DAYS = 14  # a longer request is a typo in a date, not a shift
MAX_SPECIALISTS = 50


def refuse(field: str, problem: str) -> InvalidInputError:
    """A 422 naming `field` (the services of planning share this shape of error)."""
    return InvalidInputError(f"{field}: {problem}", extra=[{"field": field, "problem": problem}])


def aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise refuse(field, f"{value.isoformat()} has no UTC offset (write e.g. {value.isoformat()}-03:00)")
    return value


def in_zone(value: datetime, zone: ZoneInfo) -> datetime:
    """A wall time without an offset read in `zone` (the contract's); an aware one as it is."""
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


@dataclass(frozen=True)
class OnCallTerms:
    """What the contract bills an on-call shift by: its minimums and the holidays of its voice calendar."""

    zone: ZoneInfo
    price: OnCallPrice
    calendar: Calendar | None

    def holidays(self, first: date, last: date) -> frozenset[date]:
        if self.calendar is None:
            return frozenset()
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return frozenset(d for d in days if self.calendar.is_holiday(d))


def oncall_terms(contract: Contract) -> OnCallTerms:
    """The contract's on-call terms (prices.oncall; 422 naming `contract` when it has none)."""
    document = from_document(contract.document)
    price = document.prices.oncall if document.prices is not None else None
    if price is None:
        raise refuse("contract", f"{contract.code} has no on-call price (prices.oncall): it bills no on-call shifts")
    voice: dict[str, Any] | None = document.calendars.get("voice")
    if voice is None:  # no calendar named voice: the first voice queue's
        voice = next((q.calendar for q in contract.queues if q.channel == "inbound_voice"), None)
    return OnCallTerms(ZoneInfo(contract.timezone), price, Calendar.from_dict(voice) if voice else None)


async def contract_zone(session: AsyncSession, *, contract_code: str, principal: Principal | None = None) -> ZoneInfo:
    """The contract's time zone, in which a time written without an offset is read."""
    return ZoneInfo((await get_contract(session, code=contract_code, principal=principal)).timezone)


async def add_oncall(
    session: AsyncSession,
    *,
    contract_code: str,
    start: datetime,
    end: datetime,
    specialists: int = 1,
    note: str | None = None,
    actor: str,
    principal: Principal | None = None,
) -> OnCallShift:
    """Record an on-call shift of `specialists` from `start` to `end` (aware datetimes; at most 14 days;
    1 to 50 specialists). Billed whether or not anyone is called: see `list_oncall` for its hours."""
    contract = await get_contract(session, code=contract_code, principal=principal)
    oncall_terms(contract)
    for value, field in ((start, "start"), (end, "end")):
        aware(value, field)
        if (problem := bounds.date_problem(value)) is not None:
            raise refuse(field, problem)
    if end <= start:
        raise refuse("end", f"must be after the start ({start.isoformat()}), got {end.isoformat()}")
    if end - start > timedelta(days=MAX_DAYS):
        raise refuse("end", f"a shift lasts at most {MAX_DAYS} days, this one {end - start}")
    if isinstance(specialists, bool) or not isinstance(specialists, int) or not 1 <= specialists <= MAX_SPECIALISTS:
        raise refuse("specialists", f"must be a whole number from 1 to {MAX_SPECIALISTS}, got {specialists!r}")
    row = OnCallShift(
        contract_id=contract.id,
        start=start.astimezone(UTC),
        scheduled_end=end.astimezone(UTC),
        specialists=specialists,
        note=(note or "").strip() or None,
        created_by=actor,
    )
    session.add(row)
    await session.flush()
    return row


async def recorded_oncall(
    session: AsyncSession, *, contract_code: str, start: datetime, end: datetime, specialists: int
) -> OnCallShift | None:
    """A shift of the contract already recorded with this start, scheduled end and number of specialists (the
    command line's retry finds it instead of recording the shift twice)."""
    contract = await get_contract(session, code=contract_code, principal=None)
    return (
        await session.execute(
            select(OnCallShift)
            .where(
                OnCallShift.contract_id == contract.id,
                OnCallShift.start == aware(start, "start").astimezone(UTC),
                OnCallShift.scheduled_end == aware(end, "end").astimezone(UTC),
                OnCallShift.specialists == specialists,
            )
            .order_by(OnCallShift.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def get_oncall(
    session: AsyncSession, *, shift_id: int, contract_code: str | None = None, principal: Principal | None = None
) -> tuple[OnCallShift, Contract]:
    """The shift and its contract; 404 when it does not exist, is another contract's than `contract_code`,
    or the caller does not see its contract."""
    row = await session.get(OnCallShift, shift_id)
    contract = await session.get(Contract, row.contract_id) if row is not None else None
    if (
        row is None
        or contract is None
        or (contract_code is not None and contract.code != contract_code)
        or (principal is not None and not principal.may_see(contract.id))
    ):
        raise NotFoundError(f"no on-call shift {shift_id}" + (f" in {contract_code!r}" if contract_code else ""))
    return row, contract


async def end_oncall(
    session: AsyncSession,
    *,
    shift_id: int,
    at: datetime,
    actor: str,
    contract_code: str | None = None,
    principal: Principal | None = None,
) -> OnCallShift:
    """End a shift early at `at` (after its start, not after its scheduled end). It still bills at least its
    day's minimum. Ending it again is a 409 saying when and by whom it was ended."""
    row, contract = await get_oncall(session, shift_id=shift_id, contract_code=contract_code, principal=principal)
    if row.ended_at is not None:
        ended = row.ended_at.astimezone(ZoneInfo(contract.timezone))
        raise ConflictError(
            f"on-call shift {shift_id} already ended at {ended.isoformat()} (by {row.ended_by})",
            extra=[{"field": "at", "problem": "the shift has already ended"}],
        )
    aware(at, "at")
    if at <= row.start:
        raise refuse("at", f"must be after the shift's start ({row.start.isoformat()}), got {at.isoformat()}")
    if at > row.scheduled_end:
        raise refuse(
            "at", f"must not be after the scheduled end ({row.scheduled_end.isoformat()}), got {at.isoformat()}"
        )
    row.ended_at, row.ended_by = at.astimezone(UTC), actor
    await session.flush()
    return row


@dataclass(frozen=True)
class ListedOnCall:
    """A shift with its billable hours per specialist for each 24-hour period from its start (local times)."""

    shift: OnCallShift
    start: datetime
    scheduled_end: datetime
    ended_at: datetime | None
    periods: list[Decimal]

    @property
    def hours(self) -> Decimal:
        return sum(self.periods, Decimal(0))

    @property
    def specialist_hours(self) -> Decimal:
        return self.hours * self.shift.specialists


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


async def list_oncall(
    session: AsyncSession, *, contract_code: str, start: date, end: date, principal: Principal | None = None
) -> list[ListedOnCall]:
    """The contract's on-call shifts starting on local days [start, end) (end excluded), with their billable
    hours by the contract's minimums and its voice calendar's holidays, in order of start."""
    contract = await get_contract(session, code=contract_code, principal=principal)
    terms = oncall_terms(contract)
    query = (
        select(OnCallShift)
        .where(
            OnCallShift.contract_id == contract.id,
            OnCallShift.start >= _local_midnight(start, terms.zone),
            OnCallShift.start < _local_midnight(end, terms.zone),
        )
        .order_by(OnCallShift.start, OnCallShift.id)
    )
    listed = []
    for row in (await session.execute(query)).scalars():
        begin, planned = row.start.astimezone(terms.zone), row.scheduled_end.astimezone(terms.zone)
        ended = row.ended_at.astimezone(terms.zone) if row.ended_at is not None else None
        periods = billable_hours_by_period(
            begin,
            planned,
            ended,
            holidays=terms.holidays(begin.date(), max(planned, ended or planned).date()),
            mon_thu=terms.price.minimum_hours_mon_thu,
            fri_sun_holiday=terms.price.minimum_hours_fri_sun_holiday,
        )
        listed.append(ListedOnCall(row, begin, planned, ended, periods))
    return listed


async def oncall_shifts(
    session: AsyncSession, *, contract_id: int, start: datetime, end: datetime
) -> list[OnCallShift]:
    """For billing: the contract's on-call shifts whose start is in [start, end), in order of start (UTC times;
    `ended_at` set when one ended early)."""
    aware(start, "start")
    aware(end, "end")
    query = (
        select(OnCallShift)
        .where(OnCallShift.contract_id == contract_id, OnCallShift.start >= start, OnCallShift.start < end)
        .order_by(OnCallShift.start, OnCallShift.id)
    )
    return list((await session.execute(query)).scalars())
