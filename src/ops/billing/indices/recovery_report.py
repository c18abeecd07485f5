"""A contract's recovery of undue charges: overpaid lines projected by billing.indices.recovery with the contract's
recovery terms and the stored index series, as data for the screen, JSON, HTML and PDF."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.billing.indices.readjustment import MissingIndexMonth
from ops.billing.indices.recovery import OverpaidLine, Projection, RecoveryRow, RecoveryTerms, Route, Totals, project
from ops.billing.indices.series import month_label
from ops.billing.indices.services import series
from ops.billing.invoices.audit import read_number
from ops.billing.terms import terms_of
from ops.contracts.document import from_document
from ops.contracts.services import get_contract
from ops.errors import InvalidInputError
from ops.tabular import TableError, open_data

ROUTES: tuple[Route, ...] = ("administrative", "judicial")
COLUMNS = ("description", "paid_on", "amount", "doubled")
_YES = frozenset({"yes", "y", "true", "1", "sim", "s", "si", "sí", "x"})
_NO = frozenset({"no", "n", "false", "0", "nao", "não"})


@dataclass(frozen=True)
class RecoveryReport:
    contract: str
    client: str
    currency: str
    terms: RecoveryTerms
    projection: Projection


def _invalid(field: str, problem: str, message: str | None = None) -> InvalidInputError:
    return InvalidInputError(message or f"{field}: {problem}", extra=[{"field": field, "problem": problem}])


# --- the lines --------------------------------------------------------------------------------------------------


def overpaid_line(
    description: str,
    paid_on: str,
    amount: str,
    doubled: str | bool | None,
    where: str,
    locale: str | None = None,
) -> OverpaidLine:
    """One overpaid line from text cells (amount as `locale` writes it, or without one 1234.56 or 1.234,56;
    paid_on YYYY-MM-DD or DD/MM/YYYY; doubled yes/no, sim/não, true/false or empty for the contract's default).
    Errors start with `where` and the column; every bad cell of the line is named."""
    problems: list[InvalidInputError] = []
    if not description.strip():
        problems.append(_invalid(f"{where}description", "empty"))
    day = value = twice = None
    try:
        day = _paid_on(paid_on.strip(), f"{where}paid_on")
    except InvalidInputError as error:
        problems.append(error)
    try:
        value = read_number(amount, locale)
        if not value.is_finite() or value <= 0:
            problems.append(_invalid(f"{where}amount", f"{amount!r} must be above zero"))
    except ValueError as error:
        problems.append(_invalid(f"{where}amount", str(error)))
    try:
        twice = _doubled(doubled, f"{where}doubled")
    except InvalidInputError as error:
        problems.append(error)
    if problems:
        raise _joined(problems)
    assert day is not None and value is not None
    return OverpaidLine(description.strip(), day, value, twice)


def _joined(problems: Sequence[InvalidInputError], name: str | None = None) -> InvalidInputError:
    message = "; ".join(p.message for p in problems)
    return InvalidInputError(f"{name}: {message}" if name else message, extra=[e for p in problems for e in p.extra])


def parse_lines(data: bytes, name: str, *, locale: str | None = None) -> list[OverpaidLine]:
    """The overpaid lines of a file (`description,paid_on,amount[,doubled]`; a CSV of any separator, UTF-8 or
    cp1252, or an XLSX: ops.tabular reads it), amounts as `locale` writes them. A bad file raises
    InvalidInputError naming `name`, then every bad line and column."""
    from ops.config import get_settings

    try:
        with open_data(data, name, max_rows=get_settings().import_max_rows, lower=True) as table:
            header = [column.strip() for column in table.columns]
            missing = [column for column in COLUMNS[:3] if column not in header]
            if missing:
                problem = f"header lacks {', '.join(missing)}: expected description,paid_on,amount[,doubled]"
                raise _invalid("file", problem, f"{name}: {problem}")
            found: list[OverpaidLine] = []
            problems: list[InvalidInputError] = []
            for row in table:
                where = f"line {row.line}, "
                if row.problem is not None:
                    problems.append(_invalid(f"line {row.line}", row.problem))
                    continue
                cells = {key: "" if value is None else str(value) for key, value in row.values.items()}
                try:
                    found.append(
                        overpaid_line(
                            cells["description"], cells["paid_on"], cells["amount"], cells.get("doubled"), where, locale
                        )
                    )
                except InvalidInputError as error:
                    problems.append(error)
    except TableError as error:
        raise _invalid("file", str(error).removeprefix(f"{name}: "), str(error)) from None
    if problems:
        raise _joined(problems, name)
    if not found:
        raise _invalid("file", "no overpaid line", f"{name}: no overpaid line under the header")
    return found


def _paid_on(text: str, field: str) -> date:
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise _invalid(field, f"{text!r} is not a date YYYY-MM-DD or DD/MM/YYYY")


def _doubled(value: str | bool | None, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = value.strip().lower()
    if not text:
        return None
    if text in _YES or text in _NO:
        return text in _YES
    raise _invalid(field, f"{value!r} is not yes or no (or empty for the contract's default)")


# --- the projection ---------------------------------------------------------------------------------------------


async def recovery_report(
    session: AsyncSession,
    *,
    code: str,
    lines: Sequence[OverpaidLine],
    route: str,
    on: date,
    principal: Principal | None,
) -> RecoveryReport:
    """What the contract's client can recover on `on` by `route`: each line doubled (unless the contract or the line
    says otherwise), corrected by the contract's recovery index from its payment month to the last month published
    before `on` (never below the nominal amount), with simple interest per whole month; lines paid before the
    route's window are listed as not recoverable. A gap in the stored series is a 422 naming every missing month."""
    contract = await get_contract(session, code=code, principal=principal)
    if route not in ROUTES:
        raise _invalid("route", f"{route!r} is not administrative or judicial")
    terms = terms_of(from_document(contract.document)).recovery
    assert terms is not None  # parse_billing always gives the recovery terms (defaults when the file says nothing)
    late = [line for line in lines if line.paid_on > on]
    if late:
        problem = f"{late[0].description!r} was paid on {late[0].paid_on}, after {on}"
        raise _invalid("paid_on", problem)
    values = await series(session, terms.index)
    if not values:
        raise _invalid("index", f"no {terms.index} month stored: import the series (ops index import FILE)")
    try:
        projection = project(lines, terms, on, {terms.index: values}, route=route)
    except MissingIndexMonth as missing:
        months = ", ".join(month_label(month) for month in missing.months)
        raise InvalidInputError(
            f"{missing.index}: no stored value for {months} (import the series or enter the month with ops index set)",
            extra=[{"field": "index", "problem": str(missing), "months": [month_label(m) for m in missing.months]}],
        ) from None
    return RecoveryReport(contract.code, contract.client.name, contract.currency, terms, projection)


# --- the view ---------------------------------------------------------------------------------------------------


def _row_view(row: RecoveryRow) -> dict[str, Any]:
    months = None
    if row.months:
        months = {"first": month_label(row.months[0]), "last": month_label(row.months[-1]), "count": len(row.months)}
    return {
        "description": row.description,
        "paid_on": row.paid_on.isoformat(),
        "amount": str(row.nominal),
        "doubled": row.doubled,
        "doubled_amount": str(row.doubled_amount),
        "correction_factor": str(row.correction_factor),
        "floored": row.floored,
        "months": months,
        "corrected": str(row.corrected),
        "interest_months": row.interest_months,
        "interest": str(row.interest),
        "recoverable": str(row.recoverable),
        "within_window": row.within_window,
        "note": row.note,
    }


def _totals_view(totals: Totals) -> dict[str, Any]:
    return {
        "lines": totals.lines,
        "nominal": str(totals.nominal),
        "doubled_amount": str(totals.doubled_amount),
        "corrected": str(totals.corrected),
        "interest": str(totals.interest),
        "recoverable": str(totals.recoverable),
    }


def report_view(report: RecoveryReport) -> dict[str, Any]:
    """The report as JSON-safe data (amounts and factors as exact text, dates ISO): the API's, `--json`'s and the
    template's shape."""
    p = report.projection
    return {
        "contract": {"code": report.contract, "client": report.client},
        "currency": report.currency,
        "on": p.today.isoformat(),
        "route": p.route,
        "index": p.index,
        "interest_monthly_pct": str(report.terms.interest_monthly_pct),
        "double_by_default": report.terms.double_by_default,
        "window_years": p.window_years,
        "window_start": p.window_start.isoformat(),
        "lines": [_row_view(row) for row in p.rows],
        "inside": _totals_view(p.inside),
        "outside": _totals_view(p.outside),
    }


def describe(view: Mapping[str, Any]) -> list[str]:
    """The report as lines of text for the terminal."""
    out = [
        f"{view['contract']['code']}: recovery on {view['on']}, {view['route']} route ({view['window_years']} years: "
        f"payments from {view['window_start']}), {view['index']}, interest {view['interest_monthly_pct']} % a month",
    ]
    for x in view["lines"]:
        if not x["within_window"]:
            out.append(f"  {x['paid_on']}  {x['amount']:>12}  outside the window, not recoverable  {x['description']}")
            continue
        months = f"{x['months']['first']}..{x['months']['last']} ({x['months']['count']})" if x["months"] else "none"
        floored = " floored" if x["floored"] else ""
        out.append(
            f"  {x['paid_on']}  {x['amount']:>12}  x{'2' if x['doubled'] else '1'} {x['doubled_amount']:>12}  "
            f"factor {x['correction_factor']}{floored} [{months}]  corrected {x['corrected']}  "
            f"interest {x['interest']} ({x['interest_months']} months)  recoverable {x['recoverable']}  "
            f"{x['description']}"
        )
    inside, outside = view["inside"], view["outside"]
    out.append(
        f"recoverable {inside['recoverable']} {view['currency']} ({inside['lines']} lines: corrected "
        f"{inside['corrected']} + interest {inside['interest']}); outside the window {outside['lines']} lines, "
        f"{outside['nominal']} paid"
    )
    return out
