"""The portal's billing tab: the measurements submitted to the client, which it approves or contests line by line
with a reason, its invoices and the readjustment notices. A client sees only its own contract (another one's is not
found); provider staff read it as the client does but only the client decides."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, requires
from ops.billing.disputes import states as dispute_states
from ops.billing.invoices import services as invoices
from ops.billing.measurement import services as measurements
from ops.billing.measurement.models import Measurement
from ops.contracts.models import Contract
from ops.contracts.services import get_contract, list_contracts
from ops.db import utcnow
from ops.errors import DomainError
from ops.web.billing_forms import Failure, Refused, Run, act, actor, explain_state, same_version
from ops.web.billing_view import (
    N_,
    Words,
    address,
    document_link,
    invoices_shown,
    measurement_shown,
    readjustments_shown,
    words_of,
)
from ops.web.dispute_forms import advance, explain_dispute, open_by_hand
from ops.web.disputes_view import alerts_shown, disputes_shown
from ops.web.render import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
TAB = "/portal/billing"
READERS = requires("client", "manager", "supervisor")
CLIENTS = requires("client")
# What the client is shown: a draft is the provider's until it is submitted.
SUBMITTED = ("submitted", "approved", "contested", "superseded")


@get(TAB, operation_id="PortalBillingPage", guards=[READERS], include_in_schema=False)
async def portal_billing(
    request: Request[Principal, str, State],
    db_session: NamedDependency[AsyncSession],
    contract: FromQuery[str | None] = None,
) -> Template:
    """A client lands on its own contract; provider staff choose one."""
    if contract is None:
        visible = await list_contracts(db_session, principal=request.user)
        if len(visible) != 1:
            return page(request, "portal_choose.html", contracts=visible, target=TAB)
        contract = visible[0].code
    return await _render(request, db_session, contract, w=words_of(request))


async def _render(
    request: Request[Principal, str, State],
    session: AsyncSession,
    code: str,
    *,
    w: Words,
    failed: Failure | None = None,
    form: dict[str, str] | None = None,
) -> Template:
    row = await get_contract(session, code=code, principal=request.user)  # another contract's: 404
    today = utcnow().astimezone(ZoneInfo(row.timezone)).date()
    latest: dict[str, Measurement] = {}
    shown: dict[str, list[Measurement]] = {}
    for m in await measurements.list_measurements(session, code=row.code, principal=request.user):
        latest.setdefault(m.month, m)  # newest month first, newest version first
        if m.state in SUBMITTED:
            shown.setdefault(m.month, []).append(m)
    form = form or {}
    cards = []
    for i, (month, (m, *earlier)) in enumerate(shown.items()):
        current = latest[month].id == m.id  # otherwise a corrected version is being prepared
        cards.append(
            {
                "key": f"-{month}",
                "month": month,
                "m": measurement_shown(m, w, row.timezone),
                "decide": m.state == "submitted" and request.user.role == "client",
                "open": i == 0 or m.state in ("submitted", "contested"),
                "form": form if form.get("month") == month else {},
                "failed": failed if failed and failed.where == f"measurement-{month}" else None,
                "pdf": document_link(row.code, month, "pdf", w.lang) if current else None,
                "earlier": [measurement_shown(e, w, row.timezone) for e in earlier],
            }
        )
    issued = await invoices.list_invoices(session, code=row.code, principal=request.user)
    response = page(
        request,
        "billing_portal.html",
        _=w._,
        fmt=w.fmt,
        contract=row,
        cards=cards,
        invoices=await invoices_shown(session, issued, code=row.code, today=today, zone=row.timezone, w=w),
        readjustments=await readjustments_shown(session, row, today=today, w=w),
        # Shown in the card of the month whose form failed, in the disputes part for a dispute's form, or at the top.
        failed=failed if failed and not any(c["failed"] for c in cards) else None,
        form=form,
        disputes=await disputes_shown(
            session, code=row.code, principal=request.user, currency=row.currency, zone=row.timezone, today=today, w=w
        ),
        disputable=[i for i in issued if i.kind == "invoice" and i.voided_at is None],
        may_dispute=request.user.role == "client",
        alerts=await alerts_shown(
            session,
            code=row.code,
            currency=row.currency,
            today=today,
            w=w,
            principal=request.user,
            kinds=("invoice_due",),
        ),
        request_path=address(TAB, contract=row.code),
    )
    response.status_code = failed.status if failed else 200
    return response


def _back(code: str, month: str) -> str:
    return address(TAB, f"measurement-{month}", contract=code)


async def _act(
    request: Request[Principal, str, State],
    session: AsyncSession,
    data: dict[str, str],
    headline: str,
    run: Run,
) -> Response[Any]:
    w = words_of(request)

    async def render(code: str | None, _month: str | None, failed: Failure, form: dict[str, str]) -> Response[Any]:
        if code is None:  # not the client's contract: nothing of it is shown
            raise Refused(failed.reason, status=404)
        return await _render(request, session, code, w=w, failed=failed, form=form)

    def explain(exc: DomainError, current: Measurement | None, month: str, words: Words) -> str | None:
        return explain_state(exc, current, month, words, advice=False)

    return await act(
        request,
        session,
        data,
        headline=headline,
        run=run,
        explain=explain,
        render=render,
        back=_back,
        where="measurement-{month}",
    )


@post(f"{TAB}/approve", operation_id="PortalApproveMeasurement", guards=[CLIENTS], include_in_schema=False)
async def portal_approve(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """The client approves the submitted measurement it was shown."""

    async def run(row: Contract, month: str, w: Words) -> Any:
        await same_version(db_session, row, month, data, w, request.user)
        return await measurements.approve(
            db_session, code=row.code, month=month, actor=actor(request.user), principal=request.user
        )

    return await _act(request, db_session, data, N_("The measurement was not approved."), run)


def contested_lines(data: dict[str, str], w: Words) -> dict[int, str]:
    """The ticked lines, each with its reason; a ticked line without a reason, or a reason on a line not ticked, is
    refused rather than guessed."""
    ticked = {int(k[8:]) for k in data if k.startswith("contest_") and k[8:].isdecimal()}
    typed = {int(k[7:]): text.strip() for k, text in data.items() if k.startswith("reason_") and k[7:].isdecimal()}
    typed = {line: text for line, text in typed.items() if text}
    if not ticked:
        raise Refused(w._("Tick each line you contest and write why."), field="lines")
    unexplained = sorted(ticked - set(typed))
    if unexplained:
        lines = ", ".join(str(n) for n in unexplained)
        raise Refused(w._("Write why you contest line {lines}.").format(lines=lines), field=f"lines.{unexplained[0]}")
    stray = sorted(set(typed) - ticked)
    if stray:
        lines = ", ".join(str(n) for n in stray)
        raise Refused(
            w._("Line {lines} has a reason but is not ticked: tick it to contest it, or clear the reason.").format(
                lines=lines
            ),
            field=f"lines.{stray[0]}",
        )
    return {line: typed[line] for line in sorted(ticked)}


@post(f"{TAB}/contest", operation_id="PortalContestMeasurement", guards=[CLIENTS], include_in_schema=False)
async def portal_contest(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """The client contests lines of the submitted measurement, each with its reason."""

    async def run(row: Contract, month: str, w: Words) -> Any:
        reasons = contested_lines(data, w)
        await same_version(db_session, row, month, data, w, request.user)
        return await measurements.contest(
            db_session, code=row.code, month=month, principal=request.user, actor=actor(request.user), reasons=reasons
        )

    return await _act(request, db_session, data, N_("The contest was not recorded."), run)


async def _dispute_act(
    request: Request[Principal, str, State], session: AsyncSession, data: dict[str, str], headline: str, run: Run
) -> Response[Any]:
    """A dispute form of the portal: about the contract, not a month; back to the disputes, or shown there."""
    w = words_of(request)

    async def render(code: str | None, _month: str | None, failed: Failure, form: dict[str, str]) -> Response[Any]:
        if code is None:  # not the client's contract: nothing of it is shown
            raise Refused(failed.reason, status=404)
        return await _render(request, session, code, w=w, failed=failed, form=form)

    return await act(
        request,
        session,
        data,
        headline=headline,
        run=run,
        explain=explain_dispute,
        render=render,
        back=lambda code, _month: address(TAB, "disputes", contract=code),
        where="disputes",
        month_required=False,
    )


@post(f"{TAB}/disputes", operation_id="PortalOpenDispute", guards=[CLIENTS], include_in_schema=False)
async def portal_open_dispute(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """The client disputes (part of) one of its invoices: what and why, and the amount disputed; the rest of the
    invoice stays payable."""

    async def run(row: Contract, _month: str, w: Words) -> Any:
        return await open_by_hand(db_session, row, data, w, request.user, on_invoice=True)

    return await _dispute_act(request, db_session, data, N_("The dispute was not opened."), run)


@post(f"{TAB}/disputes/submit", operation_id="PortalSubmitDispute", guards=[CLIENTS], include_in_schema=False)
async def portal_submit_dispute(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """The client submits its opened dispute to the provider (with its own protocol, if any); the provider answers."""

    async def run(row: Contract, _month: str, w: Words) -> Any:
        opened, submitted = dispute_states.OPENED, dispute_states.SUBMITTED
        return await advance(db_session, row, {**data, "to": submitted}, w, request.user, only=(opened, submitted))

    return await _dispute_act(request, db_session, data, N_("The dispute did not move."), run)


ROUTES: list[Any] = [portal_billing, portal_approve, portal_contest, portal_open_dispute, portal_submit_dispute]
