"""Index series and readjustments in the database: imports and hand-entered months (a changed value is kept as a
revision, never overwritten silently), the series a rule reads, and a contract's readjustment previewed and applied
to its price history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.billing.indices import readjustment as rules
from ops.billing.indices.models import ContractPrice, IndexRevision, IndexValue, Readjustment
from ops.billing.indices.prices import ITEMS, base_prices, price_history, price_on
from ops.billing.indices.schemas import (
    ComponentOut,
    EarlierOut,
    ImportResult,
    IndexValueOut,
    PriceChangeOut,
    ReadjustPreview,
    RevisionOut,
    SeriesOut,
    SetValueOut,
    ValueStatus,
)
from ops.billing.indices.series import INDEX_NAME, IndexFileError, diff_series, month_label, parse_series
from ops.billing.indices.series import IndexValue as Value
from ops.billing.money import FACTOR_PLACES, to_decimal, unit_price
from ops.billing.terms import readjustment_rule
from ops.config import get_settings
from ops.contracts.document import from_document
from ops.contracts.models import Contract
from ops.contracts.schemas import ContractFile
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError
from ops.tabular import Table, TableError, open_data

MAX_SOURCE = 300  # the width of the source columns
_PCT_PLACES = Decimal("0.0001")  # the series keep 4 decimals (NUMERIC(12, 4))
_PCT_LIMIT = Decimal(10) ** 8
_ORDER = {item: position for position, item in enumerate(ITEMS)}


def _invalid(field: str, problem: str, message: str | None = None) -> InvalidInputError:
    return InvalidInputError(message or f"{field}: {problem}", extra=[{"field": field, "problem": problem}])


def _check_pct(pct: Decimal, field: str) -> None:
    """A value the table keeps exactly; anything else is refused rather than rounded on the way in."""
    if pct <= -100:
        raise _invalid(field, f"{pct} is not a monthly change: must be above -100")
    if abs(pct) >= _PCT_LIMIT:
        raise _invalid(field, f"{pct} is too large for a monthly change")
    if pct.quantize(_PCT_PLACES) != pct:
        raise _invalid(field, f"{pct} has more than 4 decimals (a series keeps 4)")


def _check_source(source: str) -> None:
    if not source.strip() or len(source) > MAX_SOURCE:
        raise _invalid("source", f"must be 1 to {MAX_SOURCE} characters")


# --- series ----------------------------------------------------------------------------------------------------------


async def import_series(
    session: AsyncSession,
    *,
    source: str,
    actor: str,
    table: Table | None = None,
    text: str | None = None,
    locale: str = "en",
) -> ImportResult:
    """Store a series file (series.parse_series): an open ops.tabular `table` (CSV or XLSX), or CSV `text`, which
    the same reader reads; percentages as `locale` writes them. New months are added, unchanged ones left alone,
    and a changed published value is updated with an IndexRevision keeping the old and the new. The same file
    twice changes nothing. A bad file is refused whole (422 naming every bad line and column)."""
    _check_source(source)
    try:
        if table is None:
            with open_data((text or "").encode(), "series file", max_rows=get_settings().import_max_rows) as opened:
                values = parse_series(opened.columns, opened, locale=locale)
        else:
            values = parse_series(table.columns, table, locale=locale)
    except IndexFileError as error:
        extra = [
            {"field": f"line {e.line}" + (f", column {e.column}" if e.column else ""), "problem": e.problem}
            for e in error.errors
        ]
        raise InvalidInputError(str(error), extra=extra) from None
    except TableError as error:  # not a table at all: its encoding, an empty file, a row limit
        raise _invalid("file", str(error).removeprefix("series file: ")) from None
    if not values:
        raise _invalid("line 2", "no published value in the file", "no published value in the file: nothing to import")
    for value in values:
        _check_pct(value.pct, f"{value.index} {month_label(value.month)}")
    names = sorted({value.index for value in values})
    stored = {
        (row.index, row.month): row
        for row in (await session.execute(select(IndexValue).where(IndexValue.index.in_(names)))).scalars()
    }
    try:
        change = diff_series({key: row.pct for key, row in stored.items()}, values)
    except ValueError as error:
        raise _invalid("file", str(error)) from None
    revisions: list[RevisionOut] = []
    try:
        async with session.begin_nested():
            for value in change.new:
                session.add(_new_row(value, source, actor))
            for value, old in change.revised:
                _revise(session, stored[(value.index, value.month)], value.pct, source, actor)
                revisions.append(RevisionOut(value.index, month_label(value.month), old, value.pct, source))
    except IntegrityError:
        raise ConflictError("the series changed while this file was read (another import?): run it again") from None
    return ImportResult(
        indices=names, new=len(change.new), unchanged=len(change.unchanged), revised=len(revisions), revisions=revisions
    )


async def set_value(
    session: AsyncSession, *, index: str, month: date, pct: object, actor: str, source: str = "manual"
) -> SetValueOut:
    """Enter one month by hand (e.g. a labour agreement's yearly % at its anniversary month, series `cct_<code>`),
    with the same rule as an import: a changed value is revised, never overwritten silently."""
    if not INDEX_NAME.match(index):
        raise _invalid("index", f"{index!r} is not an index: expected IPCA, IGP-M, INPC or cct_<code>")
    if month.day != 1:
        raise _invalid("month", f"{month} is not a month: give its first day")
    try:
        value = to_decimal(pct, "pct")
    except ValueError as error:
        raise _invalid("pct", str(error).removeprefix("pct: ")) from None
    _check_pct(value, "pct")
    _check_source(source)
    row = (
        await session.execute(select(IndexValue).where(IndexValue.index == index, IndexValue.month == month))
    ).scalar_one_or_none()
    status: ValueStatus
    old = None if row is None else row.pct
    try:
        async with session.begin_nested():
            if row is None:
                session.add(_new_row(Value(index, month, value), source, actor))
                status = "new"
            elif row.pct == value:
                status = "unchanged"
            else:
                _revise(session, row, value, source, actor)
                status = "revised"
    except IntegrityError:
        raise ConflictError(f"{index} {month_label(month)} was stored meanwhile: run it again") from None
    return SetValueOut(index, month_label(month), value, status, old if status == "revised" else None)


def _new_row(value: Value, source: str, actor: str) -> IndexValue:
    return IndexValue(
        index=value.index, month=value.month, pct=value.pct, source=source, recorded_at=utcnow(), recorded_by=actor
    )


def _revise(session: AsyncSession, row: IndexValue, pct: Decimal, source: str, actor: str) -> None:
    now = utcnow()
    session.add(
        IndexRevision(
            index=row.index, month=row.month, old_pct=row.pct, new_pct=pct, source=source, recorded_at=now,
            recorded_by=actor,
        )
    )  # fmt: skip
    row.pct, row.source, row.recorded_at, row.recorded_by = pct, source, now, actor


async def series(session: AsyncSession, index: str) -> dict[date, Decimal]:
    """One index as {month: pct}, as last published."""
    return (await load_series(session, [index])).get(index, {})


async def load_series(session: AsyncSession, indices: Iterable[str]) -> dict[str, dict[date, Decimal]]:
    """Several indices as {index: {month: pct}}, the shape readjust and recovery read."""
    names = sorted(set(indices))
    found: dict[str, dict[date, Decimal]] = {name: {} for name in names}
    rows = await session.execute(
        select(IndexValue.index, IndexValue.month, IndexValue.pct).where(IndexValue.index.in_(names))
    )
    for name, month, pct in rows.tuples():
        found[name][month] = pct
    return found


async def rule_series(session: AsyncSession, rule: rules.ReadjustmentRule) -> dict[str, dict[date, Decimal]]:
    """Every series a readjustment rule may read: its index, its fallback and each formula term."""
    names = {rule.index, *(term.source for term in rule.weights)}
    if rule.fallback is not None:
        names.add(rule.fallback)
    return await load_series(session, names - {rules.NO_INDEX, rules.FORMULA})


async def series_detail(session: AsyncSession, *, index: str, start: date | None = None) -> SeriesOut:
    """One index's stored months (from `start`) with every revision, for `ops index show` and the API."""
    if not INDEX_NAME.match(index):
        raise _invalid("index", f"{index!r} is not an index: expected IPCA, IGP-M, INPC or cct_<code>")
    values = select(IndexValue).where(IndexValue.index == index).order_by(IndexValue.month)
    revisions = select(IndexRevision).where(IndexRevision.index == index).order_by(IndexRevision.id)
    if start is not None:
        values, revisions = values.where(IndexValue.month >= start), revisions.where(IndexRevision.month >= start)
    return SeriesOut(
        index=index,
        values=[
            IndexValueOut(month_label(r.month), r.pct, r.source, r.recorded_at.isoformat(), r.recorded_by)
            for r in (await session.execute(values)).scalars()
        ],
        revisions=[
            RevisionOut(
                r.index, month_label(r.month), r.old_pct, r.new_pct, r.source, r.recorded_at.isoformat(), r.recorded_by
            )
            for r in (await session.execute(revisions)).scalars()
        ],
    )


# --- readjustment ----------------------------------------------------------------------------------------------------


@dataclass
class _Terms:
    """A contract with what its readjustment needs: the parsed file, its rule and the readjustments applied."""

    row: Contract
    document: ContractFile
    rule: rules.ReadjustmentRule
    applied: dict[date, Readjustment]


async def readjustment_for(
    session: AsyncSession, *, contract_code: str, on: date, principal: Principal | None = None
) -> ReadjustPreview:
    """The contract's readjustment on the anniversary `on`: as applied, or as it would be (status `preview`).
    Refuses (422) a date that is not an anniversary, naming the expected one, and an index month not yet stored
    (never a factor of 1); refuses (409) while an earlier anniversary is not applied, since prices compound."""
    terms = await _terms(session, contract_code, on, principal)
    row = terms.applied.get(on)
    if row is not None:
        return await _applied(session, terms, row)
    return await _preview(session, terms, await _compute(session, terms, on))


async def apply_readjustment(session: AsyncSession, *, contract_code: str, on: date, actor: str) -> ReadjustPreview:
    """Write the readjustment of `on` and one price per item valid from it (the history keeps the older ones).
    Applying it again changes nothing and answers `already_applied`."""
    terms = await _terms(session, contract_code, on, None)
    if on not in terms.applied:
        result = await _compute(session, terms, on)
        preview = await _preview(session, terms, result)
        row = Readjustment(
            contract_id=terms.row.id,
            anniversary=on,
            index=result.index,
            factor=result.factor,
            raw_factor=result.raw_factor,
            floored=result.floored,
            detail=_detail(terms.rule, result, preview),
            applied_at=utcnow(),
            applied_by=actor[:200],
        )
        note = f"readjusted on {on} by {result.index} x{result.factor}"
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()  # the prices point at the row
                session.add_all(
                    ContractPrice(
                        contract_id=terms.row.id, item=price.item, valid_from=on, unit_price=price.new,
                        readjustment_id=row.id, note=note, created_at=utcnow(),
                    )
                    for price in preview.prices
                )  # fmt: skip
        except IntegrityError:
            # Another apply won the race (or a price from that day exists): read what is there now.
            terms = await _terms(session, contract_code, on, None)
            if on not in terms.applied:
                raise ConflictError(
                    f"contract {contract_code!r}: a price valid from {on} is already recorded; nothing was applied",
                    extra=[{"field": "on", "problem": "a price valid from this day already exists"}],
                ) from None
        else:
            terms.applied[on] = row
            return await _applied(session, terms, row)
    return msgspec.structs.replace(await _applied(session, terms, terms.applied[on]), already_applied=True)


async def _terms(session: AsyncSession, code: str, on: date, principal: Principal | None) -> _Terms:
    contract = await get_contract(session, code=code, principal=principal)
    document = from_document(contract.document)
    rule = readjustment_rule(document)
    _check_anniversary(contract, rule, on)
    rows = await session.execute(select(Readjustment).where(Readjustment.contract_id == contract.id))
    applied = {row.anniversary: row for row in rows.scalars()}
    terms = _Terms(contract, document, rule, applied)
    if on not in applied:
        skipped = [day for day in _due(terms, on) if day < on and day not in applied]
        if skipped:
            first = skipped[0]
            raise ConflictError(
                f"contract {code!r}: the readjustment of {first} is not applied, and prices compound year on year: "
                f"apply {first} first (ops billing readjust --contract {code} --on {first} --apply)",
                extra=[{"field": "on", "problem": f"{first} must be applied first"}],
            )
    return terms


def _due(terms: _Terms, until: date) -> list[date]:
    """The anniversaries up to `until` that readjust this contract (those after its start)."""
    return [day for day in rules.anniversaries(terms.rule.anniversary, until) if day > terms.row.starts_on]


def _check_anniversary(contract: Contract, rule: rules.ReadjustmentRule, on: date) -> None:
    code = contract.code
    if rule.index == rules.NO_INDEX:
        problem = f"contract {code!r} is never readjusted (readjustment.index: none)"
        raise _invalid("on", problem, f"on: {problem}")
    if on not in rules.anniversaries(rule.anniversary, on):
        later = rules.anniversaries(rule.anniversary, date(max(on.year, rule.anniversary.year), 12, 31))
        expected = later[-1]
        problem = f"{on} is not an anniversary of contract {code!r}: expected {expected}"
        if on < rule.anniversary:
            problem += " (its first readjustment)"
        else:
            problem += f" (readjusted every year on {rule.anniversary:%m-%d})"
        raise _invalid("on", problem, f"on: {problem}")
    if on <= contract.starts_on:
        raise _invalid("on", f"{on} is not after the contract's start {contract.starts_on}")
    if on > contract.ends_on:
        raise _invalid("on", f"{on} is after the contract's end {contract.ends_on}")


async def _compute(session: AsyncSession, terms: _Terms, on: date) -> rules.Readjustment:
    try:
        return rules.readjust(terms.rule, on, await rule_series(session, terms.rule))
    except rules.MissingIndexMonth as missing:
        problem = str(missing)
        raise InvalidInputError(
            f"contract {terms.row.code!r}, readjustment on {on}: {problem} (import the series or enter the month "
            "with ops index set)",
            extra=[
                {
                    "field": "on",
                    "problem": problem,
                    "index": missing.index,
                    "months": [month_label(month) for month in missing.months],
                }
            ],
        ) from None


def _product(factors: Iterable[Decimal]) -> Decimal:
    with localcontext() as context:
        context.prec = 50
        product = Decimal(1)
        for factor in factors:
            product *= factor
        return product.quantize(FACTOR_PLACES, ROUND_HALF_UP)


async def _current_prices(session: AsyncSession, terms: _Terms, on: date) -> dict[str, tuple[Decimal, Decimal]]:
    """(base, price in force the day before `on`) of every item the contract file prices."""
    found: dict[str, tuple[Decimal, Decimal]] = {}
    for item, base in base_prices(terms.document).items():
        history = await price_history(session, contract=terms.row, document=terms.document, item=item)
        found[item] = (unit_price(base), unit_price(price_on(history, on - timedelta(days=1))))
    return found


def _earlier(terms: _Terms, on: date) -> list[Readjustment]:
    return [terms.applied[day] for day in sorted(terms.applied) if day < on]


async def _preview(session: AsyncSession, terms: _Terms, result: rules.Readjustment) -> ReadjustPreview:
    earlier = _earlier(terms, result.on)
    factors = [row.factor for row in earlier] + [result.factor]
    prices = [
        PriceChangeOut(item, unit_price(base), current, rules.compounded_price(base, factors))
        for item, (base, current) in (await _current_prices(session, terms, result.on)).items()
    ]
    return ReadjustPreview(
        contract=terms.row.code,
        client=terms.row.client.name,
        currency=terms.row.currency,
        anniversary=result.on,
        status="preview",
        rule_index=terms.rule.index,
        index=result.index,
        months=[month_label(month) for month in result.months],
        factor=result.factor,
        raw_factor=result.raw_factor,
        cumulative_factor=_product(factors),
        floored=result.floored,
        fallback_used=result.fallback_used,
        notes=[result.note] if result.note else [],
        components=[
            ComponentOut(term.source, term.weight, term.factor, term.index_used, [month_label(m) for m in term.months])
            for term in result.components
        ],
        earlier=[EarlierOut(row.anniversary, row.index, row.factor) for row in earlier],
        prices=prices,
    )


def _detail(rule: rules.ReadjustmentRule, result: rules.Readjustment, preview: ReadjustPreview) -> dict[str, Any]:
    """What the applied row keeps besides its columns, JSON-safe (decimals as exact text)."""
    builtins: dict[str, Any] = msgspec.to_builtins(preview)
    return {
        "rule_index": rule.index,
        "months": builtins["months"],
        "fallback_used": result.fallback_used,
        "notes": builtins["notes"],
        "components": builtins["components"],
    }


async def _applied(session: AsyncSession, terms: _Terms, row: Readjustment) -> ReadjustPreview:
    """An applied readjustment as stored: its factor and the prices written, whatever the series say today."""
    detail: Mapping[str, Any] = row.detail or {}
    earlier = _earlier(terms, row.anniversary)
    written = {
        price.item: price.unit_price
        for price in (
            await session.execute(select(ContractPrice).where(ContractPrice.readjustment_id == row.id))
        ).scalars()
    }
    current = await _current_prices(session, terms, row.anniversary)
    notes = [str(note) for note in detail.get("notes", [])]
    try:
        today = rules.readjust(terms.rule, row.anniversary, await rule_series(session, terms.rule))
        if today.factor != row.factor:
            notes.append(
                f"the series were revised after this was applied: they now give {today.factor} "
                f"(the applied factor {row.factor} stands)"
            )
    except ValueError:  # MissingIndexMonth included
        pass  # the applied row is the record; a series emptied since does not change it
    return ReadjustPreview(
        contract=terms.row.code,
        client=terms.row.client.name,
        currency=terms.row.currency,
        anniversary=row.anniversary,
        status="applied",
        rule_index=str(detail.get("rule_index", terms.rule.index)),
        index=row.index,
        months=[str(month) for month in detail.get("months", [])],
        factor=row.factor,
        raw_factor=row.raw_factor,
        cumulative_factor=_product([*(r.factor for r in earlier), row.factor]),
        floored=row.floored,
        fallback_used=bool(detail.get("fallback_used", False)),
        notes=notes,
        components=msgspec.convert(detail.get("components", []), list[ComponentOut], strict=False),
        earlier=[EarlierOut(r.anniversary, r.index, r.factor) for r in earlier],
        prices=[
            # An item the contract file no longer prices keeps only what was written.
            PriceChangeOut(item, *current.get(item, (new, new)), new)
            for item, new in sorted(written.items(), key=lambda pair: _ORDER.get(pair[0], len(_ORDER)))
        ],
        applied_at=row.applied_at.isoformat(),
        applied_by=row.applied_by,
    )
