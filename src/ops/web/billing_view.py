"""What the billing pages show, in the reader's language: a measurement's lines worded and formatted, invoices with
where they stand, and the readjustments with their notices to the client."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from ops.billing.documents import KIND_LABELS, STATES, UNITS, describe
from ops.billing.indices import readjustment as rules
from ops.billing.indices import services as indices
from ops.billing.indices.notice import LANGS as NOTICE_LANGS
from ops.billing.indices.schemas import ReadjustPreview
from ops.billing.invoices import services as invoices
from ops.billing.invoices.models import Invoice
from ops.billing.measurement.models import Measurement
from ops.billing.measurement.periods import measurement_period
from ops.billing.terms import readjustment_rule, terms_of
from ops.contracts.document import from_document
from ops.contracts.models import Contract
from ops.errors import DomainError
from ops.l10n import Formats, gettext
from ops.web.i18n import locale_tag, pick_language


def N_(message: str) -> str:
    """Marks a msgid for the catalogue that is translated where it is shown."""
    return message


ITEM_LABELS = {
    "position_month": N_("Service position (month)"),
    "reinforcement_hour": N_("Reinforcement hour"),
    "ticket_minute": N_("Ticket minute"),
    "oncall_hour": N_("On-call hour"),
}
KINDS = {"invoice": N_("Invoice"), "credit_note": N_("Credit note")}


@dataclass(frozen=True)
class Words:
    """The reader's language: its tag (pt-BR, es-AR, en), its catalogue and its Babel formats."""

    lang: str
    _: Callable[[str], str]
    fmt: Formats


def words_of(request: Request[Any, Any, Any]) -> Words:
    """The page's language as the other pages pick it (cookie, then browser), as a catalogue language."""
    tag = locale_tag(pick_language(dict(request.cookies), request.headers.get("accept-language")))
    return Words(tag, gettext(tag), Formats(tag))


# --- months -------------------------------------------------------------------------------------------------------


def month_or_none(text: str | None) -> str | None:
    """A measurement month YYYY-MM as given, or None when it is not one."""
    try:
        measurement_period(text or "")
    except ValueError:
        return None
    return text


def last_closed_month(contract: Contract, today: date) -> str:
    """The latest period that ended before `today` (the contract's local day), by its cut-off day if it has one."""
    terms = terms_of(from_document(contract.document))
    this = f"{today:%Y-%m}"
    if measurement_period(this, terms.cutoff_day).end < today:
        return this
    previous = today.replace(day=1).toordinal() - 1
    return f"{date.fromordinal(previous):%Y-%m}"


def address(path: str, anchor: str = "", **query: str) -> str:
    return f"{path}?{urlencode(query)}" + (f"#{anchor}" if anchor else "")


# --- a measurement ----------------------------------------------------------------------------------------------


def measurement_shown(m: Measurement, w: Words, zone: str) -> dict[str, Any]:
    """Lines worded in the reader's language, amounts in its money format, subtotals by kind."""
    _, fmt, currency = w._, w.fmt, m.currency
    subtotals: dict[str, Decimal] = {}
    for x in m.lines:
        subtotals[x.kind] = subtotals.get(x.kind, Decimal("0.00")) + x.amount
    return {
        "row": m,
        "state": m.state,
        "state_label": _(STATES.get(m.state, m.state)),
        "month_label": fmt.month_named(m.month),
        "period": f"{fmt.date(m.period_start, 'short')} – {fmt.date(m.period_end, 'short')}",
        "total": fmt.money(m.total, currency),
        "created": fmt.datetime(m.created_at, zone, "short"),
        "decided": fmt.datetime(m.decided_at, zone, "short"),
        "subtotals": [
            (_(KIND_LABELS.get(kind, kind)), fmt.money(amount, currency)) for kind, amount in subtotals.items()
        ],
        "lines": [
            {
                "position": x.position,
                "kind": _(KIND_LABELS.get(x.kind, x.kind)),
                "description": describe(x.kind, x.detail or {}, x.description, _, fmt),
                "quantity": fmt.quantity(x.quantity),
                "unit": _(UNITS.get(x.unit, x.unit)),
                "unit_price": fmt.price(x.unit_price, currency),
                "amount": fmt.money(x.amount, currency),
                "negative": x.amount < 0,
                "sources": list(x.sources),
                "contested_reason": x.contested_reason,
                "contested_by": x.contested_by,
            }
            for x in m.lines
        ],
    }


def document_link(code: str, month: str, fmt: str, lang: str) -> str:
    return address(f"/api/contracts/{code}/measurements/{month}/document", format=fmt, lang=lang)


# --- invoices ---------------------------------------------------------------------------------------------------


async def invoices_shown(
    session: AsyncSession, rows: Sequence[Invoice], *, code: str, today: date, zone: str, w: Words
) -> list[dict[str, Any]]:
    """Each invoice and credit note with where it stands today (the contract's day)."""
    _, fmt = w._, w.fmt
    out = []
    for row in rows:
        disputed = row.kind == "invoice" and await invoices.is_disputed(session, invoice_id=row.id)
        standing = await invoices.standing(session, row, today=today, disputed=disputed)
        mismatch = standing.nfse_mismatch
        out.append(
            {
                "row": row,
                "kind": _(KINDS.get(row.kind, row.kind)),
                "is_invoice": row.kind == "invoice",
                "month": row.month,
                "month_label": fmt.month_named(row.month),
                "issued": fmt.date(row.issued_at.astimezone(ZoneInfo(zone)).date()),
                "due": fmt.date(row.due_on) if row.kind == "invoice" else "",
                "gross": fmt.money(row.gross, row.currency),
                "net": fmt.money(row.net, row.currency),
                "paid": fmt.money(standing.paid, row.currency),
                "balance": fmt.money(standing.balance, row.currency),
                "balance_value": standing.balance,
                "balance_input": fmt.number(standing.balance, 2) if standing.balance > 0 else "",
                "state": standing.state,
                "state_label": _(STATES.get(standing.state, standing.state)),
                "nfse": row.nfse_number,
                "nfse_mismatch": None if mismatch is None else fmt.money(mismatch, row.currency),
                "payable": row.kind == "invoice" and standing.state not in ("void", "paid"),
                "pdf": address(f"/api/contracts/{code}/invoices/{row.number}/document", lang=w.lang)
                if row.kind == "invoice"
                else None,
            }
        )
    return out


# --- readjustments ----------------------------------------------------------------------------------------------


async def readjustments_shown(session: AsyncSession, contract: Contract, *, today: date, w: Words) -> dict[str, Any]:
    """The contract's readjustments up to the next anniversary: each one due so far (applied, or a preview when it
    is overdue) and the next as a preview, with the notice to the client; one that cannot be made yet says why."""
    rule = readjustment_rule(from_document(contract.document))
    if rule.index == rules.NO_INDEX:
        return {"never": True, "entries": [], "next": None}
    upcoming = rules.anniversaries(rule.anniversary, today + timedelta(days=366))
    days = [d for d in upcoming if contract.starts_on < d <= contract.ends_on]
    following = next((d for d in days if d >= today), None)
    entries = []
    for day in days:
        if day > today and day != following:
            continue
        try:
            preview = await indices.readjustment_for(session, contract_code=contract.code, on=day, principal=None)
        except DomainError as exc:
            entries.append(_unavailable(day, rule.index, exc, w))
        else:
            entries.append(_entry(preview, contract.code, today, w))
    entries.reverse()  # the next anniversary first, then the earlier ones, newest first
    return {"never": False, "entries": entries, "next": following}


def _entry(p: ReadjustPreview, code: str, today: date, w: Words) -> dict[str, Any]:
    _, fmt = w._, w.fmt
    change = p.factor - 1
    return {
        "on": p.anniversary,
        "on_label": fmt.date(p.anniversary, "long"),
        "status": p.status,
        "status_label": _("applied") if p.status == "applied" else _("preview (not applied)"),
        "overdue": p.status != "applied" and p.anniversary <= today,
        "index": p.index,
        "months": f"{fmt.month_named(p.months[0])} – {fmt.month_named(p.months[-1])}" if p.months else "",
        "factor": fmt.number(p.factor, 8),
        "change": fmt.percent(change, 2),
        "floored": p.floored,
        "prices": [
            {
                "item": _(ITEM_LABELS.get(x.item, x.item)),
                "current": fmt.price(x.current, p.currency),
                "new": fmt.price(x.new, p.currency),
                "change": fmt.percent((x.new - x.current) / x.current if x.current else Decimal(0), 2),
            }
            for x in p.prices
        ],
        "notices": _notices(code, p.anniversary, w.lang),
        "problem": None,
    }


def _unavailable(day: date, index: str, exc: DomainError, w: Words) -> dict[str, Any]:
    _ = w._
    extra = exc.extra[0] if isinstance(exc.extra, list) and exc.extra and isinstance(exc.extra[0], dict) else {}
    if extra.get("months"):
        missing = sorted(str(m) for m in extra["months"])
        months = w.fmt.month_named(missing[0])
        if len(missing) > 1:
            months += f" – {w.fmt.month_named(missing[-1])} ({len(missing)})"
        reason = _("{index} is not published yet for {months}.").format(index=index, months=months)
    elif exc.status_code == 409:
        reason = _("An earlier readjustment is not applied yet: prices compound, so that one is applied first.")
    else:
        reason = _("It cannot be computed.")
    return {
        "on": day,
        "on_label": w.fmt.date(day, "long"),
        "status": "unavailable",
        "status_label": _("not available yet"),
        "problem": reason,
        "detail": exc.message,
        "prices": [],
        "notices": [],
    }


def _notices(code: str, on: date, lang: str) -> list[tuple[str, str]]:
    """(language, link) of the notice: in the reader's language when the notice speaks it, else in each it speaks."""
    langs = [lang] if lang in NOTICE_LANGS else list(NOTICE_LANGS)
    return [
        (tag, address(f"/api/contracts/{code}/readjustments/{on.isoformat()}/notice.pdf", lang=tag)) for tag in langs
    ]
