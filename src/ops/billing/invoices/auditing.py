"""An invoice as billed (a CSV or XLSX file) audited against the contract's prices and the approved measurement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.billing.indices import readjustment as rules
from ops.billing.indices.models import Readjustment
from ops.billing.indices.prices import base_prices, price_history, price_on
from ops.billing.indices.services import load_series, readjustment_for
from ops.billing.invoices import audit
from ops.billing.invoices.taxes import invoice_totals
from ops.billing.measurement.services import latest, period_of
from ops.billing.terms import readjustment_rule, terms_of
from ops.config import get_settings
from ops.contracts.document import from_document
from ops.contracts.models import Contract
from ops.contracts.schemas import ContractFile
from ops.contracts.services import get_contract
from ops.errors import ConflictError, DomainError, InvalidInputError, NotFoundError
from ops.tabular import Row, TableError, open_data

# A measured line's kind -> the audit's kind (the contract's price items, and the amounts the measurement fixes).
MEASURED_KINDS: Mapping[str, str] = {
    "positions": audit.KIND_POSITIONS,
    "reinforcement": audit.KIND_REINFORCEMENT,
    "oncall": audit.KIND_ON_CALL,
    "ticket_time": audit.KIND_TICKET_MINUTES,
    "sla_credit": audit.KIND_SLA_CREDIT,
    "sla_bonus": audit.KIND_SLA_BONUS,
    "adjustment": audit.KIND_ADJUSTMENT,
}
# Every code audit.audit gives a difference (a dispute opened from an audit names one of them).
AUDIT_CODES = frozenset(
    {
        "line_not_in_contract",
        "duplicate_line",
        "amount_not_quantity_times_price",
        "price_not_contracted",
        "readjustment_early",
        "readjustment_late",
        "readjustment_wrong_index",
        "quantity_above_measured",
        "quantity_below_measured",
        "amount_not_measured",
        "withholding_missing",
        "withholding_wrong",
        "total_does_not_add_up",
        "net_does_not_add_up",
        "iss_wrong",
    }
)
COLUMNS = ("description", "kind", "quantity", "unit_price", "amount")
_REQUIRED_COLUMNS = ("description", "quantity", "unit_price", "amount")
_EXPECTED = "expected the columns description,kind,quantity,unit_price,amount (kind may be left out)"
_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class AuditResult:
    contract: str
    currency: str
    period: str
    measurement_version: int
    differences: Sequence[audit.Difference]
    candidates: Mapping[str, Mapping[str, Decimal]]  # kind -> label -> price: what a wrong price was compared with

    @property
    def overcharged(self) -> Decimal:
        """What the client was billed above the contract and the measurement: the positive differences."""
        return sum((d.amount for d in self.differences if d.amount > 0), _ZERO)

    @property
    def undercharged(self) -> Decimal:
        return sum((d.amount for d in self.differences if d.amount < 0), _ZERO)


def _bad_file(name: str, problem: str) -> InvalidInputError:
    return InvalidInputError(f"{name}: {problem}", extra=[{"field": "file", "problem": problem}])


# --- the file ---------------------------------------------------------------------------------------------------


def read_rows(data: bytes, name: str) -> list[Row]:
    """The rows of a billed invoice (a CSV, its encoding and separator detected, or the first sheet of an XLSX
    workbook; ops.tabular reads both) as text cells under their header, each with the row number a person sees,
    or the problem that kept it from being read. A file that cannot be read raises InvalidInputError naming
    `name` and why."""
    try:
        with open_data(data, name, max_rows=get_settings().import_max_rows) as table:
            if not table.columns or not any(table.columns):
                raise _bad_file(name, f"empty file: {_EXPECTED}")
            header = _header(table.columns, name)
            rename = dict(zip(table.columns, header, strict=True))
            return [
                Row(row.line, {rename[key]: _text(value) for key, value in row.values.items()}, row.problem)
                for row in table
            ]
    except TableError as error:
        raise _bad_file(name, str(error).removeprefix(f"{name}: ")) from None


def _header(cells: Sequence[str], name: str) -> list[str]:
    names = [audit_column(cell) for cell in cells]
    missing = [column for column in _REQUIRED_COLUMNS if column not in names]
    if missing:
        shown = ",".join(cell.strip() for cell in cells)
        raise _bad_file(name, f"header {shown!r} lacks {', '.join(missing)}: {_EXPECTED}")
    return names


def audit_column(cell: str) -> str:
    """A header cell as the audit reads it ("Unit price" is unit_price)."""
    return "_".join(cell.strip().lower().split())


def _text(cell: object) -> str:
    """A spreadsheet cell as the text a person reads in it: numbers exact as stored, dates ISO."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell).lower()
    if isinstance(cell, float):
        # repr is the shortest text that reads back as the same float: 10241.6504, never 10241.650399999999
        return format(Decimal(repr(cell)), "f")
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


# --- what was expected -------------------------------------------------------------------------------------------


async def audit_invoice(
    session: AsyncSession,
    *,
    code: str,
    rows: Sequence[Row],
    principal: Principal | None,
    name: str = "invoice file",
    locale: str | None = None,
) -> AuditResult:
    """Every difference between a billed invoice (rows from read_rows of the file `name`, numbers as `locale`
    writes them, by default the contract's language) and the contract and the approved measurement of the
    period it names. Stores nothing."""
    contract = await get_contract(session, code=code, principal=principal)
    locale = locale or str(contract.document.get("language") or "pt-BR")
    try:
        billed = audit.parse_numbered(((row.line, row.values, row.problem) for row in rows), locale=locale)
    except audit.BilledFileError as error:
        raise InvalidInputError(
            f"{name}: {error}", extra=[{"field": "file", "problem": problem} for problem in error.problems]
        ) from None
    except ValueError as error:
        raise _bad_file(name, str(error)) from None
    expected, version = await expected_for(session, contract, billed.period, principal)
    try:
        found = audit.audit(billed, expected)
    except ValueError as error:  # a measured kind the contract no longer prices
        raise ConflictError(f"{code} {billed.period}: {error}") from None
    return AuditResult(contract.code, contract.currency, billed.period, version, found, expected.price_candidates)


async def expected_for(
    session: AsyncSession, contract: Contract, month: str, principal: Principal | None = None
) -> tuple[audit.Expected, int]:
    """What the invoice of `month` should say: the approved measurement's lines, the contracted prices on the period's
    first day, the prices a wrong one may be, and the withholdings; with the measurement's version (of those the
    `principal` may see)."""
    document = from_document(contract.document)
    terms = terms_of(document)
    period = period_of(terms, month)
    measurement = await latest(session, contract_id=contract.id, month=month, principal=principal)
    if measurement is None:
        raise NotFoundError(
            f"no measurement of {contract.code} for {month}: an invoice is audited against the approved measurement",
            extra=[{"field": "period", "problem": "no measurement"}],
        )
    if measurement.state != "approved":
        raise ConflictError(
            f"the measurement of {contract.code} for {month} (version {measurement.version}) is {measurement.state}: "
            "an invoice is audited against an approved measurement",
            extra=[{"field": "period", "problem": f"measurement {measurement.state}, not approved"}],
        )
    lines = [
        audit.ExpectedLine(MEASURED_KINDS[x.kind], x.description, x.quantity, x.unit_price, x.amount)
        for x in measurement.lines
    ]
    histories = {
        item: await price_history(session, contract=contract, document=document, item=item)
        for item in base_prices(document)
    }
    prices = {item: price_on(history, period.start) for item, history in histories.items()}
    try:
        totals = invoice_totals(measurement.total, terms.taxes)
    except ValueError as error:  # a measurement that totals a credit: no invoice, nothing withheld
        raise ConflictError(f"the measurement of {contract.code} for {month}: {error}") from None
    expected = audit.Expected(
        lines=lines,
        price_at=prices.__getitem__,
        price_candidates=await price_candidates(session, contract, document, histories, period.start, period.end),
        withholdings={w.code: w.amount for w in totals.withholdings},
        known_kinds=frozenset(prices) | audit.AMOUNT_KINDS,
        iss_rate=terms.taxes.iss_rate,
        iss_on_top=not terms.taxes.prices_include_taxes,
    )
    return expected, measurement.version


async def price_candidates(
    session: AsyncSession,
    contract: Contract,
    document: ContractFile,
    histories: Mapping[str, list[tuple[date, Decimal]]],
    start: date,
    end: date,
) -> dict[str, dict[str, Decimal]]:
    """For each priced item, the prices a wrong one is usually found to be: the price before the latest anniversary
    at or before the period, the next readjusted price (an anniversary after the period), and the price that
    anniversary would give by another public index over the same months. A candidate the series cannot give yet
    is left out; one equal to the contracted price or to an earlier candidate too."""
    contracted = {item: price_on(history, start) for item, history in histories.items()}
    found: dict[str, dict[str, Decimal]] = {item: {} for item in histories}

    def add(item: str, label: str, price: Decimal) -> None:
        if price != contracted[item] and price not in found[item].values():
            found[item][label] = price

    rule = readjustment_rule(document)
    if rule.index == rules.NO_INDEX:
        return found
    done = [day for day in rules.anniversaries(rule.anniversary, start) if day > contract.starts_on]
    if done:
        for item, history in histories.items():
            add(item, "before readjustment", price_on(history, done[-1] - timedelta(days=1)))
    following = [day for day in rules.anniversaries(rule.anniversary, end + timedelta(days=366)) if day > end]
    if following and following[0] <= contract.ends_on:
        for item, price in (await _readjusted(session, contract, histories, following[0])).items():
            add(item, "readjusted early", price)
    if done and rule.index in rules.PUBLIC_INDICES:
        for label, prices in (await _by_other_index(session, contract, document, rule, done[-1])).items():
            for item, price in prices.items():
                if item in found:
                    add(item, label, price)
    return found


async def _readjusted(
    session: AsyncSession, contract: Contract, histories: Mapping[str, list[tuple[date, Decimal]]], on: date
) -> dict[str, Decimal]:
    """Each item's price from the anniversary `on`: as applied, or as the stored series would make it."""
    applied = {item: price for item, history in histories.items() for valid_from, price in history if valid_from == on}
    if applied:
        return applied
    try:
        preview = await readjustment_for(session, contract_code=contract.code, on=on)
    except (DomainError, ValueError):  # an earlier anniversary not applied, a month not published: no candidate
        return {}
    return {price.item: price.new for price in preview.prices}


async def _by_other_index(
    session: AsyncSession, contract: Contract, document: ContractFile, rule: rules.ReadjustmentRule, on: date
) -> dict[str, dict[str, Decimal]]:
    """label -> item -> price: the readjustment of `on` by each other public index over the rule's own months,
    compounded on the factors applied before it."""
    applied = select(Readjustment.factor).where(Readjustment.contract_id == contract.id, Readjustment.anniversary < on)
    earlier = list((await session.execute(applied.order_by(Readjustment.anniversary))).scalars())
    lag = rule.lag_months if rule.lag_months is not None else rules.DEFAULT_LAG[rule.index]
    series = await load_series(session, rules.PUBLIC_INDICES)
    found: dict[str, dict[str, Decimal]] = {}
    for other in rules.PUBLIC_INDICES:
        if other == rule.index:
            continue
        try:
            result = rules.readjust(replace(rule, index=other, fallback=None, lag_months=lag), on, series)
        except ValueError:  # MissingIndexMonth: that index's series does not cover the window
            continue
        factors = [*earlier, result.factor]
        found[f"readjusted by {other} instead of {rule.index}"] = {
            item: rules.compounded_price(base, factors) for item, base in base_prices(document).items()
        }
    return found


# --- the answer --------------------------------------------------------------------------------------------------


def _text_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def result_view(result: AuditResult) -> dict[str, Any]:
    """The audit as JSON-safe data (amounts as exact text), the API's and `--json`'s shape."""
    return {
        "contract": result.contract,
        "period": result.period,
        "measurement_version": result.measurement_version,
        "currency": result.currency,
        "differences": [
            {
                "code": d.code,
                "row": d.row,
                "description": d.description,
                "billed": _text_or_none(d.billed),
                "expected": _text_or_none(d.expected),
                "amount": str(d.amount),
            }
            for d in result.differences
        ],
        "overcharged": str(result.overcharged),
        "undercharged": str(result.undercharged),
        "net": str(result.overcharged + result.undercharged),
        "price_candidates": {
            item: {label: str(price) for label, price in labels.items()}
            for item, labels in result.candidates.items()
            if labels
        },
    }


def describe(result: AuditResult) -> list[str]:
    """The audit as lines of text for the terminal."""
    count = len(result.differences)
    head = f"{result.contract} {result.period} (measurement version {result.measurement_version}): "
    out = [head + (f"{count} difference{'s' if count != 1 else ''}" if count else "no differences")]
    for d in result.differences:
        row = f"row {d.row}" if d.row is not None else "-"
        billed = "-" if d.billed is None else str(d.billed)
        expected = "-" if d.expected is None else str(d.expected)
        out.append(f"  {row:<8} {d.code:<34} billed {billed:>14}  expected {expected:>14}  amount {d.amount:>12}")
        out.append(f"           {d.description}")
    out.append(
        f"overcharged {result.overcharged} {result.currency} (undercharged {result.undercharged}, "
        f"net {result.overcharged + result.undercharged})"
    )
    return out
