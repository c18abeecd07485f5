"""The billing pages' forms: input read in the reader's conventions, the action run in a savepoint, and a failure
worded in the reader's language from the measurement as it stands, shown at its own 4xx status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from litestar import Request, Response
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal
from ops.billing.measurement import services as measurements
from ops.billing.measurement.models import Measurement
from ops.billing.money import cents
from ops.contracts.models import Contract
from ops.contracts.services import get_contract
from ops.errors import ConflictError, DomainError, NotFoundError
from ops.web.actions import attempt
from ops.web.billing_view import Words, month_or_none, words_of


def actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.name}"


class Refused(DomainError):
    """A refusal the page words itself, in the reader's language, at its own status."""

    def __init__(self, message: str, *, status: int = 422, field: str | None = None) -> None:
        super().__init__(message, extra=[{"field": field, "problem": message}] if field else None)
        self.status_code = status


@dataclass(frozen=True)
class Failure:
    """A failed form as the page shows it: its status, what failed, why, and the service's own words if any."""

    status: int
    headline: str
    reason: str
    field: str | None = None
    detail: str | None = None
    where: str | None = None  # the id of the page part whose form failed, where the page shows it


def field_of(exc: DomainError) -> str | None:
    extra = exc.extra if isinstance(exc.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    value = first.get("field")
    return value if isinstance(value, str) else None


def failure(exc: DomainError, headline: str, reason: str | None = None) -> Failure:
    """`reason`: the page's words for what went wrong; without them the service's message is shown as it is."""
    if isinstance(exc, Refused):
        return Failure(exc.status_code, headline, exc.message, field_of(exc))
    return Failure(exc.status_code, headline, reason or exc.message, field_of(exc), exc.message if reason else None)


def amount_in(text: str | None, w: Words, field: str) -> Decimal:
    """An amount typed in the reader's conventions (1.234,56 in pt-BR and es-AR, 1,234.56 in English); strict, so
    that 1234.56 typed in Portuguese is refused rather than read as 123456."""
    problem = w._("Write the amount in cents, like {example}.").format(example=w.fmt.number(Decimal("1234.56"), 2))
    try:
        value = parse_decimal((text or "").strip(), locale=w.fmt.locale, strict=True)
    except NumberFormatError:
        raise Refused(problem, field=field) from None
    if not value.is_finite() or value <= 0:
        raise Refused(problem, field=field)
    if value > bounds.MAX_MONEY:  # 1e30 is read as a number; quantizing it to cents would overflow
        top = w.fmt.number(bounds.MAX_MONEY, 2)
        raise Refused(w._("An amount is at most {top}.").format(top=top), field=field)
    if cents(value) != value:
        raise Refused(problem, field=field)
    return value


def day_in(text: str | None, w: Words, field: str) -> date:
    """A date typed into a form, within the input window (ops.bounds): 0001-01-01 is no payment date."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        raise Refused(w._("Give a date."), field=field) from None
    if bounds.date_problem(day) is not None:
        raise Refused(w._("Give a date."), field=field)
    return day


Render = Callable[[str | None, str | None, Failure, dict[str, str]], Awaitable[Response[Any]]]
Run = Callable[[Contract, str, Words], Awaitable[Any]]
Explain = Callable[[DomainError, Measurement | None, str, Words], str | None]


async def act(
    request: Request[Principal, Any, Any],
    session: AsyncSession,
    data: dict[str, str],
    *,
    headline: str,
    run: Run,
    explain: Explain,
    render: Render,
    back: Callable[[str, str], str],
    where: str | None = None,
    month_required: bool = True,
) -> Response[Any]:
    """One form: the contract it names (another contract's is not found: 404) and its month, then `run` in a
        savepoint. Success goes `back` (303); a failure is rendered again with what was typed, at its status, worded by
        `explain` from the month's measurement as it stands after the savepoint undid the action, and shown `where` the
        form is (a page part's id; {month} is the form's month). A form about the contract rather than a month (a
    dispute in the portal) passes `month_required=False`: `run` then gets its month or ""."""
    w = words_of(request)
    code, month = data.get("contract", ""), month_or_none(data.get("month"))
    try:
        row = await get_contract(session, code=code, principal=request.user)
    except NotFoundError as exc:
        return await render(None, month, failure(exc, w._(headline), w._("No such contract.")), data)
    place = where.format(month=month) if where else None
    try:
        if month is None and month_required:
            raise Refused(w._("A month is written YYYY-MM."), field="month")
        await attempt(session, run(row, month or "", w))
    except DomainError as exc:
        current = (
            await measurements.latest(session, contract_id=row.id, month=month, principal=request.user)
            if month
            else None
        )
        failed = failure(exc, w._(headline), explain(exc, current, month or "", w))
        return await render(code, month, replace(failed, where=place), data)
    return Redirect(back(code, month or ""), status_code=303)


async def same_version(
    session: AsyncSession, row: Contract, month: str, data: dict[str, str], w: Words, principal: Principal
) -> None:
    """The form acts on the version the page showed: a measurement changed meanwhile is shown again first (of the
    versions the reader may see: the client is never told of a draft)."""
    current = await measurements.latest(session, contract_id=row.id, month=month, principal=principal)
    if current is not None and data.get("version", "") not in ("", str(current.version)):
        raise Refused(
            w._("The measurement changed since the page was shown: check version {version} and try again.").format(
                version=current.version
            ),
            status=409,
        )


def explain_state(
    exc: DomainError, current: Measurement | None, month: str, w: Words, *, advice: bool = True
) -> str | None:
    """A measurement action refused for the measurement's state (or its absence), in the reader's words; with
    `advice`, what the manager does next."""
    _ = w._
    month = w.fmt.month_named(month)
    if isinstance(exc, NotFoundError) and current is None:
        return _("There is no measurement of {month} yet.").format(month=month)
    if isinstance(exc, measurements.PeriodNotOverError):
        end = w.fmt.date(exc.ends_on)
        return _("The period of {month} ends on {end}: its measurement is submitted after that day.").format(
            month=month, end=end
        )
    if isinstance(exc, measurements.OutsideContractError):
        return _("The contract runs from {start} to {end}: {month} is outside it.").format(
            start=w.fmt.date(exc.starts_on), end=w.fmt.date(exc.ends_on), month=month
        )
    if field_of(exc) == "month" and exc.status_code == 422:
        return _("The period of {month} has not started yet.").format(month=month)
    if isinstance(exc, ConflictError) and current is not None:
        said = _("The measurement of {month} (version {version}) is in state: {state}.").format(
            month=month, version=current.version, state=_(current.state)
        )
        todo = {
            "submitted": _("The client approves it or contests its lines; a written approval is recorded here."),
            "approved": _("Its invoice is issued next; a correction goes on a later measurement as an adjustment."),
            "draft": _("It is submitted to the client first."),
            "contested": _("It is drafted again: the corrected measurement is a new version."),
        }.get(current.state, "")
        if current.state == "approved" and current.total <= 0:
            todo = _("It totals {total}: nothing to invoice; the amount goes to the next measurement.").format(
                total=w.fmt.money(current.total, current.currency)
            )
        return f"{said} {todo}".strip() if advice else said
    return None
