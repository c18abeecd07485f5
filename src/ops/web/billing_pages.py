"""The managers' billing page: a contract's measurement of a month (draft, submit, a written approval, the invoice),
its invoices with their payments and NFS-e, and the next readjustment. Forms post here and come back (303); a
failed one shows the page again at its own status with what was typed."""

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
from ops.billing.invoices import services as invoices
from ops.billing.measurement import services as measurements
from ops.billing.measurement.models import Measurement
from ops.contracts.models import Contract
from ops.contracts.services import get_contract, list_contracts
from ops.db import utcnow
from ops.errors import ConflictError, DomainError, NotFoundError
from ops.web.billing_forms import (
    Explain,
    Failure,
    Refused,
    Run,
    act,
    actor,
    amount_in,
    day_in,
    explain_state,
    field_of,
    same_version,
)
from ops.web.billing_view import (
    N_,
    Words,
    address,
    document_link,
    invoices_shown,
    last_closed_month,
    measurement_shown,
    month_or_none,
    readjustments_shown,
    words_of,
)
from ops.web.dispute_forms import advance, explain_dispute, open_by_hand
from ops.web.disputes_view import alerts_shown, disputes_shown
from ops.web.invoice_forms import credit_note, explain_invoice, nfse, void
from ops.web.render import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
MANAGERS = requires("manager")
PAGE = "/billing"


@get(PAGE, operation_id="BillingPage", guards=[MANAGERS], include_in_schema=False)
async def billing_page(
    request: Request[Principal, str, State],
    db_session: NamedDependency[AsyncSession],
    contract: FromQuery[str | None] = None,
    month: FromQuery[str | None] = None,
) -> Template:
    """The chosen contract (the first one visible by default) and month (the last closed one by default)."""
    w = words_of(request)
    shown = month_or_none(month)
    if month and shown is None:
        bad = Failure(422, w._("The month was not shown."), w._("A month is written YYYY-MM."), "month")
        return await _render(request, db_session, contract, None, w=w, failed=bad)
    return await _render(request, db_session, contract, shown, w=w)


async def _render(
    request: Request[Principal, str, State],
    session: AsyncSession,
    contract: str | None,
    month: str | None,
    *,
    w: Words,
    failed: Failure | None = None,
    form: dict[str, str] | None = None,
) -> Template:
    contracts = await list_contracts(session, principal=request.user)
    codes = [c.code for c in contracts]
    context: dict[str, Any] = {"_": w._, "fmt": w.fmt, "contracts": codes, "contract": None, "failed": failed}
    context["form"] = form or {}
    if codes:
        code = contract or codes[0]  # a contract named but not the reader's is a 404, not another one shown
        row = await get_contract(session, code=code, principal=request.user)
        context.update(await _contract_context(session, row, month, w))
        # The language switch comes back to this contract and month, also from a form's failure.
        context["request_path"] = address(PAGE, contract=code, month=context["month"])
    response = page(request, "billing.html", **context)
    response.status_code = failed.status if failed else 200
    return response


async def _contract_context(session: AsyncSession, row: Contract, month: str | None, w: Words) -> dict[str, Any]:
    today = utcnow().astimezone(ZoneInfo(row.timezone)).date()
    month = month or last_closed_month(row, today)
    every = await measurements.list_measurements(session, code=row.code, principal=None)
    versions = [m for m in every if m.month == month]
    current = versions[0] if versions else None
    issued = await invoices.list_invoices(session, code=row.code, principal=None)
    invoice = next((i for i in issued if current is not None and i.measurement_id == current.id), None)
    latest: dict[str, Measurement] = {}
    for m in every:
        latest.setdefault(m.month, m)
    events = await measurements.events(session, measurement_id=current.id) if current is not None else []
    return {
        "contract": row.code,
        "client": row.client.name,
        "month": month,
        "month_label": w.fmt.month_named(month),
        "m": measurement_shown(current, w, row.timezone) if current is not None else None,
        "versions": [(m.version, w._(m.state)) for m in versions[1:]],
        "events": [
            (w.fmt.datetime(e.at, row.timezone, "short"), e.actor, w._(e.action), w._(e.to_state)) for e in events
        ],
        "others": [(m.month, w.fmt.month_named(m.month), w._(m.state), m.state) for m in latest.values()],
        "invoice": invoice,
        "documents": {kind: document_link(row.code, month, kind, w.lang) for kind in ("pdf", "xlsx")},
        "invoices": await invoices_shown(session, issued, code=row.code, today=today, zone=row.timezone, w=w),
        "readjustments": await readjustments_shown(session, row, today=today, w=w),
        "disputes": await disputes_shown(
            session,
            code=row.code,
            principal=None,
            currency=row.currency,
            zone=row.timezone,
            today=today,
            w=w,
            documents=issued,
        ),
        "alerts": await alerts_shown(session, code=row.code, currency=row.currency, today=today, w=w),
        "disputable": [i for i in issued if i.kind == "invoice" and i.voided_at is None],
    }


# --- the forms ----------------------------------------------------------------------------------------------------


async def _act(
    request: Request[Principal, str, State],
    session: AsyncSession,
    data: dict[str, str],
    headline: str,
    anchor: str,
    run: Run,
    explain: Explain = explain_state,
) -> Response[Any]:
    w = words_of(request)

    async def render(code: str | None, month: str | None, failed: Failure, form: dict[str, str]) -> Response[Any]:
        return await _render(request, session, code, month, w=w, failed=failed, form=form)

    def back(code: str, month: str) -> str:
        return address(PAGE, anchor, contract=code, month=month)

    return await act(
        request, session, data, headline=headline, run=run, explain=explain, render=render, back=back, where=anchor
    )


@post(f"{PAGE}/measurement/draft", operation_id="BillingDraft", guards=[MANAGERS], include_in_schema=False)
async def billing_draft(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Draft the month from what was delivered (a draft is recomputed; a contested one becomes a new version)."""

    async def run(row: Contract, month: str, w: Words) -> Any:
        await same_version(db_session, row, month, data, w, request.user)
        return await measurements.draft(db_session, code=row.code, month=month, actor=actor(request.user))

    return await _act(request, db_session, data, N_("The measurement was not drafted."), "measurement", run)


@post(f"{PAGE}/measurement/submit", operation_id="BillingSubmit", guards=[MANAGERS], include_in_schema=False)
async def billing_submit(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Submit the draft to the client, who approves it or contests its lines in the portal."""

    async def run(row: Contract, month: str, w: Words) -> Any:
        await same_version(db_session, row, month, data, w, request.user)
        return await measurements.submit(db_session, code=row.code, month=month, actor=actor(request.user))

    return await _act(request, db_session, data, N_("The measurement was not submitted."), "measurement", run)


@post(f"{PAGE}/measurement/approve", operation_id="BillingRecordApproval", guards=[MANAGERS], include_in_schema=False)
async def billing_record_approval(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Record the client's approval given in writing: who gave it (`by`) is required."""

    async def run(row: Contract, month: str, w: Words) -> Any:
        by = (data.get("by") or "").strip()
        if not by:
            raise Refused(w._("Write who approved it, and where (a letter, an e-mail)."), field="by")
        await same_version(db_session, row, month, data, w, request.user)
        return await measurements.approve(
            db_session, code=row.code, month=month, actor=actor(request.user), principal=request.user, by=by
        )

    return await _act(request, db_session, data, N_("The approval was not recorded."), "measurement", run)


@post(f"{PAGE}/invoices", operation_id="BillingIssueInvoice", guards=[MANAGERS], include_in_schema=False)
async def billing_issue_invoice(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Issue the invoice of the month's approved measurement (issuing it twice changes nothing)."""

    async def run(row: Contract, month: str, w: Words) -> Any:
        await same_version(db_session, row, month, data, w, request.user)
        return await invoices.issue_invoice(db_session, code=row.code, month=month, actor=actor(request.user))

    return await _act(request, db_session, data, N_("The invoice was not issued."), "invoices", run)


def explain_payment(exc: DomainError, _current: Measurement | None, _month: str, w: Words) -> str | None:
    if isinstance(exc, invoices.OverpaymentError):
        left = w.fmt.money(exc.left, exc.currency)
        return w._("The amount is more than what is left to pay on this invoice ({left}).").format(left=left)
    if isinstance(exc, ConflictError):
        return w._("The invoice is void: it takes no payment.")
    if isinstance(exc, invoices.PaidAfterTodayError):
        return w._("The payment date is after today: record a payment once the money has arrived.")
    if field_of(exc) == "paid_on":
        return w._("The payment date is before the invoice was issued.")
    if isinstance(exc, NotFoundError):
        return w._("No such invoice of this contract.")
    return None


@post(f"{PAGE}/payments", operation_id="BillingRecordPayment", guards=[MANAGERS], include_in_schema=False)
async def billing_record_payment(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Record a payment received on one of the contract's invoices."""

    async def run(row: Contract, _month: str, w: Words) -> Any:
        number = (data.get("invoice") or "").strip()
        if not number.isdecimal():
            raise Refused(w._("Choose the invoice paid."), field="invoice")
        paid_on = day_in(data.get("paid_on"), w, "paid_on")
        amount = amount_in(data.get("amount"), w, "amount")
        return await invoices.record_payment(
            db_session,
            code=row.code,
            number=int(number),
            paid_on=paid_on,
            amount=amount,
            actor=actor(request.user),
            note=(data.get("note") or "").strip() or None,
        )

    return await _act(request, db_session, data, N_("The payment was not recorded."), "invoices", run, explain_payment)


@post(f"{PAGE}/credit-notes", operation_id="BillingIssueCreditNote", guards=[MANAGERS], include_in_schema=False)
async def billing_issue_credit_note(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Issue a credit note against an invoice: the amount (never above what is left of it) and the reason."""

    async def run(row: Contract, _month: str, w: Words) -> Any:
        return await credit_note(db_session, row, data, w, request.user)

    headline = N_("The credit note was not issued.")
    return await _act(request, db_session, data, headline, "invoices", run, explain_invoice)


@post(f"{PAGE}/nfse", operation_id="BillingRecordNfse", guards=[MANAGERS], include_in_schema=False)
async def billing_record_nfse(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Record the NFS-e the municipality issued for an invoice; the invoice list flags a value other than its own."""

    async def run(row: Contract, _month: str, w: Words) -> Any:
        return await nfse(db_session, row, data, w)

    headline = N_("The NFS-e was not recorded.")
    return await _act(request, db_session, data, headline, "invoices", run, explain_invoice)


@post(f"{PAGE}/void", operation_id="BillingVoidInvoice", guards=[MANAGERS], include_in_schema=False)
async def billing_void_invoice(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Void an invoice nothing was paid on, with a reason (its number stays used)."""

    async def run(row: Contract, _month: str, w: Words) -> Any:
        return await void(db_session, row, data, w, request.user)

    headline = N_("The invoice was not voided.")
    return await _act(request, db_session, data, headline, "invoices", run, explain_invoice)


@post(f"{PAGE}/disputes", operation_id="BillingOpenDispute", guards=[MANAGERS], include_in_schema=False)
async def billing_open_dispute(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Open a dispute by hand: what and why, the amount disputed, and the invoice it is on if any."""

    async def run(row: Contract, _month: str, w: Words) -> Any:
        return await open_by_hand(db_session, row, data, w, request.user, on_invoice=False)

    headline = N_("The dispute was not opened.")
    return await _act(request, db_session, data, headline, "disputes", run, explain_dispute)


@post(f"{PAGE}/disputes/advance", operation_id="BillingAdvanceDispute", guards=[MANAGERS], include_in_schema=False)
async def billing_advance_dispute(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Move a dispute a step: submit, grant the recalculation (number and resolution date), record the credit
    (amount and the credit note or invoice it came on), close, or refuse with a reason."""

    async def run(row: Contract, _month: str, w: Words) -> Any:
        return await advance(db_session, row, data, w, request.user)

    headline = N_("The dispute did not move.")
    return await _act(request, db_session, data, headline, "disputes", run, explain_dispute)


ROUTES: list[Any] = [
    billing_page,
    billing_draft,
    billing_submit,
    billing_record_approval,
    billing_issue_invoice,
    billing_record_payment,
    billing_issue_credit_note,
    billing_record_nfse,
    billing_void_invoice,
    billing_open_dispute,
    billing_advance_dispute,
]
