"""HTTP endpoints of issued documents: issue an invoice, read it and its PDF, credit notes, payments, voids, the
NFS-e recorded against it, the check of the hash chain, and the audit of an invoice as billed."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from ops import openapi
from ops.auth import Principal, Role, requires
from ops.billing.invoices import services
from ops.billing.invoices.schemas import CreditNoteIn, IssueIn, NfseIn, PaymentIn, VoidIn
from ops.billing.invoices.views import invoice_view
from ops.billing.money import cents
from ops.contracts.services import get_contract
from ops.errors import InvalidInputError
from ops.l10n import asked_language

READERS: tuple[Role, ...] = ("manager", "supervisor", "client")


def _actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.name}"


def _money(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or value <= 0 or cents(value) != value:
        raise InvalidInputError(
            f"{field}: {value} must be a positive amount in cents",
            extra=[{"field": field, "problem": "not > 0 in cents"}],
        )
    return value


async def view_of(
    session: AsyncSession, code: str, number: int, principal: Principal, kind: str = "invoice"
) -> dict[str, Any]:
    row = await services.get_invoice(session, code=code, number=number, principal=principal, kind=kind)
    disputed = await services.is_disputed(session, invoice_id=row.id)
    standing = await services.standing(
        session, row, today=await services.contract_today(session, row), disputed=disputed
    )
    payments = await services.payments(session, invoice_id=row.id) if kind == "invoice" else []
    credits = await services.credit_notes(session, invoice_id=row.id) if kind == "invoice" else []
    return invoice_view(row, standing, payments, credits)


async def _upload(request: Request[Principal, str, State]) -> tuple[bytes, str]:
    """The uploaded file: a multipart form's `file` field (with its name), or the raw body as a CSV."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        from litestar.datastructures import UploadFile

        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInputError(
                "file: the form has no file field", extra=[{"field": "file", "problem": "missing from the form"}]
            )
        return await upload.read(), upload.filename or "file"
    return await request.body(), "request body"


# The invoice as billed: a CSV or XLSX uploaded as a form's `file`, or a CSV as the raw body.
BILLED_FILE = openapi.Body(
    {
        "multipart/form-data": {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "description": "CSV or XLSX"}},
        },
        "text/csv": {"type": "string"},
    },
    "The invoice as billed, one line per row.",
)


class InvoiceController(Controller):
    path = "/api/contracts/{code:str}/invoices"
    tags = ("billing",)

    @get("/", operation_id="ListInvoices", guards=[requires(*READERS)])
    async def list_invoices(
        self, request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], code: FromPath[str]
    ) -> list[dict[str, Any]]:
        """The contract's invoices and credit notes, newest first, each with where it stands."""
        out = []
        for row in await services.list_invoices(db_session, code=code, principal=request.user):
            out.append(await view_of(db_session, code, row.number, request.user, row.kind))
        return out

    @post(
        "/audit",
        operation_id="AuditInvoice",
        guards=[requires(*READERS)],
        status_code=200,
        opt=openapi.reads(BILLED_FILE),
    )
    async def audit(
        self, request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], code: FromPath[str]
    ) -> dict[str, Any]:
        """Audit an invoice as billed against the contract and the period's approved measurement: the file (CSV or
        XLSX) as the `file` field of a multipart form, or a CSV as the raw body. Every difference with its amount;
        nothing is stored."""
        from ops.billing.invoices import auditing

        await get_contract(db_session, code=code, principal=request.user)
        data, name = await _upload(request)
        rows = auditing.read_rows(data, name)
        result = await auditing.audit_invoice(db_session, code=code, rows=rows, principal=request.user, name=name)
        return auditing.result_view(result)

    @get("/{number:int}", operation_id="GetInvoice", guards=[requires(*READERS)])
    async def get_one(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        number: FromPath[int],
    ) -> dict[str, Any]:
        return await view_of(db_session, code, number, request.user)

    @get(
        "/{number:int}/document",
        operation_id="GetInvoiceDocument",
        guards=[requires(*READERS)],
        media_type="application/pdf",
        opt=openapi.renders("application/pdf", "text/html"),
    )
    async def document(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        number: FromPath[int],
        fmt: Annotated[str, QueryParameter(name="format", description="pdf or html")] = "pdf",
        lang: Annotated[str | None, QueryParameter(description="pt-BR, es-AR or en")] = None,
    ) -> Response[bytes]:
        from ops.billing import documents

        if fmt not in ("pdf", "html"):
            raise InvalidInputError(
                f"format: {fmt!r} is not pdf or html", extra=[{"field": "format", "problem": "unknown"}]
            )
        if fmt == "pdf" and lang is None:
            # The PDF as issued, byte for byte (its SHA-256 is frozen with the invoice), when one was stored.
            row = await services.get_invoice(db_session, code=code, number=number, principal=request.user)
            stored = services.read_pdf(request.app.state.settings.reports_dir, row)
            if stored is not None:
                headers = {
                    "Content-Disposition": f'inline; filename="invoice-{number}.pdf"',
                    "X-Content-SHA256": row.pdf_sha256 or "",
                }
                return Response(stored, media_type="application/pdf", headers=headers)
        html = documents.invoice_html(await view_of(db_session, code, number, request.user), asked_language(lang))
        content = html.encode() if fmt == "html" else documents.pdf(html)
        media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
        return Response(
            content, media_type=media, headers={"Content-Disposition": f'inline; filename="invoice-{number}.{fmt}"'}
        )

    @post(
        "/",
        operation_id="IssueInvoice",
        guards=[requires("manager")],
        status_code=201,
        opt=openapi.succeeds(s201="Issued now.", s200="Issued before: the invoice as issued then."),
    )
    async def issue(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        data: JSONBody[IssueIn],
    ) -> Response[dict[str, Any]]:
        """Issue the invoice of the month's approved measurement; 200 with the existing one if already issued."""
        await get_contract(db_session, code=code, principal=request.user)
        issued = await services.issue_invoice(
            db_session,
            code=code,
            month=data.month,
            actor=_actor(request.user),
            files=request.app.state.settings.reports_dir,
        )
        view = await view_of(db_session, code, issued.invoice.number, request.user)
        return Response(view, status_code=201 if issued.created else 200)

    @post("/{number:int}/credit-notes", operation_id="IssueCreditNote", guards=[requires("manager")], status_code=201)
    async def credit(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        number: FromPath[int],
        data: JSONBody[CreditNoteIn],
    ) -> dict[str, Any]:
        await get_contract(db_session, code=code, principal=request.user)
        row = await services.issue_credit_note(
            db_session,
            code=code,
            invoice_number=number,
            amount=_money(data.amount, "amount"),
            reason=data.reason,
            actor=_actor(request.user),
        )
        return await view_of(db_session, code, row.number, request.user, "credit_note")

    @post("/{number:int}/void", operation_id="VoidInvoice", guards=[requires("manager")], status_code=200)
    async def void(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        number: FromPath[int],
        data: JSONBody[VoidIn],
    ) -> dict[str, Any]:
        await get_contract(db_session, code=code, principal=request.user)
        await services.void_invoice(
            db_session, code=code, number=number, reason=data.reason, actor=_actor(request.user)
        )
        return await view_of(db_session, code, number, request.user)

    @post("/{number:int}/payments", operation_id="RecordPayment", guards=[requires("manager")], status_code=201)
    async def pay(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        number: FromPath[int],
        data: JSONBody[PaymentIn],
    ) -> dict[str, Any]:
        await get_contract(db_session, code=code, principal=request.user)
        await services.record_payment(
            db_session,
            code=code,
            number=number,
            paid_on=data.paid_on,
            amount=_money(data.amount, "amount"),
            actor=_actor(request.user),
            note=data.note,
        )
        return await view_of(db_session, code, number, request.user)

    @put("/{number:int}/nfse", operation_id="RecordNfse", guards=[requires("manager")])
    async def nfse(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        number: FromPath[int],
        data: JSONBody[NfseIn],
    ) -> dict[str, Any]:
        """The fiscal invoice (NFS-e) the municipality issued; `nfse.differs_by` flags a value other than the gross."""
        await get_contract(db_session, code=code, principal=request.user)
        await services.record_nfse(
            db_session,
            code=code,
            number=number,
            nfse_number=data.number,
            verification_code=data.verification_code,
            link=data.link,
            value=_money(data.value, "value"),
            names=("number", "verification_code"),
        )
        return await view_of(db_session, code, number, request.user)


@get("/api/invoices/chain", operation_id="VerifyInvoiceChain", tags=["billing"], guards=[requires("manager")])
async def verify_chain(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession]
) -> dict[str, Any]:
    """Recompute the hash chain of every issued document (provider-wide managers only)."""
    if request.user.contract_id is not None:
        from litestar.exceptions import PermissionDeniedException

        raise PermissionDeniedException("the chain spans every contract: it needs a provider-wide manager token")
    check = await services.verify(db_session)
    return {"ok": check.ok, "first_broken": check.first_broken, "reason": check.reason}


ROUTES: list[Any] = [InvoiceController, verify_chain]
