"""Audit of an invoice as billed against the contract's prices and the approved measurement, with every difference."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal

from ops.billing.money import cents
from ops.rows import parse_number

# The contract's price kinds (the fields of contracts.schemas.Prices), plus the SLA credit deduction.
KIND_POSITIONS = "position_month"
KIND_REINFORCEMENT = "reinforcement_hour"
KIND_ON_CALL = "oncall_hour"
KIND_TICKET_MINUTES = "ticket_minute"
KIND_SLA_CREDIT = "sla_credit"
# Measured amounts with no unit price of their own: the SLA report's bonuses and adjustments carried forward.
KIND_SLA_BONUS = "sla_bonus"
KIND_ADJUSTMENT = "adjustment"

# A billed line without a kind column is the first kind having a phrase in its description (accents,
# case and punctuation ignored, whole words). Specific kinds come first: "posições de reforço" is
# reinforcement, not positions; "crédito de SLA sobre posições" is an SLA credit.
KIND_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (KIND_SLA_BONUS, ("sla bonus", "sla bonuses", "bonus de sla", "bonus sla", "bonus por sla", "bonificacion sla")),
    (
        KIND_SLA_CREDIT,
        ("sla credit", "sla credits", "service credit", "service credits", "credito de sla", "credito sla",
         "creditos de sla", "credito por sla", "desconto de sla", "desconto sla", "descuento por sla",
         "descuento sla", "credito por incumplimiento de sla"),
    ),
    (KIND_ON_CALL, ("on call", "oncall", "sobreaviso", "sobreavisos", "guardia", "guardias")),
    (KIND_REINFORCEMENT, ("reinforcement", "reinforcements", "reforco", "reforcos", "refuerzo", "refuerzos")),
    (
        KIND_TICKET_MINUTES,
        ("ticket", "tickets", "ticket minutes", "chamado", "chamados", "minutos de chamado", "minutos de chamados"),
    ),
    (KIND_POSITIONS, ("position", "positions", "posicao", "posicoes", "posicion", "posiciones")),
    # Last: "ajuste" also appears in descriptions of the other kinds ("posições, ajuste pro rata")
    (KIND_ADJUSTMENT, ("adjustment", "adjustments", "ajuste", "ajustes")),
)  # fmt: skip

# Kinds the measurement fixes as an amount, not as quantity × contracted unit price.
AMOUNT_KINDS: frozenset[str] = frozenset({KIND_SLA_CREDIT, KIND_SLA_BONUS, KIND_ADJUSTMENT})

# How a price candidate's label names its code: the first phrase found in the label (whole words) wins.
# A label naming none of them leaves the code price_not_contracted, with the label in the description.
CANDIDATE_CODES: tuple[tuple[str, str], ...] = (
    ("early", "readjustment_early"),
    ("before readjustment", "readjustment_late"),
    ("not readjusted", "readjustment_late"),
    ("late", "readjustment_late"),
    ("instead of", "readjustment_wrong_index"),
    ("wrong index", "readjustment_wrong_index"),
)

# Special rows of a billed file without a kind column, by their whole (folded) description.
_TOTAL_LABELS = frozenset({"total", "valor total", "total bruto", "total general", "importe total", "gross total"})
_NET_LABELS = frozenset({"net", "net total", "liquido", "valor liquido", "total liquido", "neto", "total neto"})
_PERIOD_LABEL = re.compile(r"(period|periodo|competencia|mes de referencia|reference month)\b")
_PERIOD_VALUE = re.compile(r"\b(\d{4})-(\d{1,2})\b|\b(\d{1,2})/(\d{4})\b")
_ISS_LABEL = re.compile(r"iss\b(?!.*\bretid)")  # "ISS", "ISS 5%"; "ISS retido" is a withholding's name
_WITHHOLDING = "withholding:"
_HALF_CENT = Decimal("0.005")


@dataclass(frozen=True)
class BilledLine:
    row: int
    description: str
    kind: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class BilledInvoice:
    period: str  # YYYY-MM
    lines: Sequence[BilledLine]
    withholdings: Mapping[str, Decimal]  # tax (upper case) -> amount withheld, positive
    total: Decimal | None  # gross, as stated
    net: Decimal | None  # payable, as stated
    special_rows: Mapping[str, int] = field(default_factory=dict)  # "total", "net", "withholding:IRRF" -> row
    iss: Decimal | None = None  # the ISS row, as stated


@dataclass(frozen=True)
class ExpectedLine:
    kind: str
    description: str
    quantity: Decimal  # as measured and approved
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Expected:
    lines: Sequence[ExpectedLine]
    price_at: Callable[[str], Decimal]  # contracted unit price of a kind on the period's date
    price_candidates: Mapping[str, Mapping[str, Decimal]]  # kind -> label -> a price the billed one might be
    withholdings: Mapping[str, Decimal]
    known_kinds: AbstractSet[str]
    iss_rate: Decimal = Decimal(0)
    iss_on_top: bool = False  # ISS added to the prices (else part of them, and not checked)


@dataclass(frozen=True)
class Difference:
    code: str
    row: int | None
    description: str
    billed: Decimal | None  # the compared values: a price, a quantity or an amount, as the code says
    expected: Decimal | None
    amount: Decimal  # what the client was overcharged (positive) or undercharged (negative)


def parse_decimal(text: str) -> Decimal:
    """A number written 1234.56, 1.234,56, 1,234.56 or 1.234.567, with an optional sign and R$ / $.

    The last separator is the decimal mark, the other one groups thousands (groups of three checked);
    several dots and no comma are Brazilian thousands. So "1.234" is 1.234 and "1,234" is 1.234 too."""
    s = text.strip().replace("\u00a0", " ")
    sign = ""
    if s[:1] in ("+", "-"):
        sign, s = s[0], s[1:].lstrip()
    for symbol in ("R$", "AR$", "US$", "$"):
        if s.startswith(symbol):
            s = s[len(symbol) :].lstrip()
            break
    if not sign and s[:1] in ("+", "-"):
        sign, s = s[0], s[1:]
    last = max(s.rfind(","), s.rfind("."))
    if last >= 0 and s[last] == "." and "," not in s and s.count(".") > 1:
        integer, fraction, group = s, "", "."  # 1.234.567
    elif last >= 0:
        integer, fraction = s[:last], s[last + 1 :]
        group = "." if s[last] == "," else ","
        if not fraction:
            raise ValueError(f"{text!r}: nothing after the decimal mark")
    else:
        integer, fraction, group = s, "", ""
    if group and group in integer:
        if not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})+", integer):
            raise ValueError(f"{text!r}: thousands must be grouped by three")
        integer = integer.replace(group, "")
    if not re.fullmatch(r"\d*", integer) or not re.fullmatch(r"\d*", fraction) or not (integer or fraction):
        raise ValueError(f"{text!r} is not a number")
    return Decimal(f"{sign}{integer or '0'}.{fraction}") if fraction else Decimal(f"{sign}{integer}")


class BilledFileError(ValueError):
    """Every problem of a billed invoice's rows, in row order; the message joins them."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def parse_billed(rows: Iterable[Mapping[str, str]], *, first_row: int = 2) -> BilledInvoice:
    """Read already-split rows (columns description, kind, quantity, unit_price, amount) into a BilledInvoice.

    Special rows by kind: `period` (YYYY-MM or MM/YYYY in the description), `total` and `net` (in amount),
    `withholding:IRRF` etc. (amount, sign ignored: a withholding is always a deduction). Without a kind,
    descriptions such as "Total", "Valor líquido" or "Competência 03/2026" are recognised. `first_row` is
    the number of the first data row (2 under a header line), so errors name the row a person sees."""
    return parse_numbered((number, row, None) for number, row in enumerate(rows, start=first_row))


def parse_numbered(
    rows: Iterable[tuple[int, Mapping[str, str], str | None]], *, locale: str | None = None
) -> BilledInvoice:
    """As parse_billed, for rows that carry their own number and, for a row that could not be read, its problem;
    numbers as `locale` writes them (read_number). Every problem of every row is found before BilledFileError
    lists them all."""
    period: str | None = None
    lines: list[BilledLine] = []
    withholdings: dict[str, Decimal] = {}
    amounts: dict[str, Decimal] = {}
    special_rows: dict[str, int] = {}
    problems: list[str] = []
    for number, raw, unreadable in rows:
        if unreadable is not None:
            problems.append(f"row {number}: {unreadable}")
            continue
        row = {_column(str(key)): (value or "").strip() for key, value in raw.items()}
        if not any(row.values()):
            continue
        kind, description = row.get("kind", ""), row.get("description", "")
        special = _special(kind, description)
        try:
            if special:
                if special in special_rows:
                    first = special_rows[special]
                    raise ValueError(f"row {number}: a second {special!r} row (the first is row {first})")
                special_rows[special] = number
            if special == "period":
                period = _period(description, number)
            elif special in ("total", "net", "iss"):
                amounts[special] = _cell(row, "amount", number, locale)
            elif special == _WITHHOLDING:
                raise ValueError(f"row {number}, column kind: {kind!r} names no tax (withholding:IRRF)")
            elif special.startswith(_WITHHOLDING):
                withholdings[special.removeprefix(_WITHHOLDING)] = abs(_cell(row, "amount", number, locale))
            else:
                if not description and not kind:
                    raise ValueError(f"row {number}, column description: a line needs a description or a kind")
                cells = _cells(row, ("quantity", "unit_price", "amount"), number, locale)
                lines.append(BilledLine(number, description, kind or None, *cells))
        except ValueError as error:
            problems.append(str(error))
    if period is None and "period" not in special_rows:
        problems.append("no period row (kind 'period', description YYYY-MM)")
    if problems or period is None:
        raise BilledFileError(problems)
    total, net, iss = amounts.get("total"), amounts.get("net"), amounts.get("iss")
    return BilledInvoice(period, tuple(lines), withholdings, total, net, special_rows, iss)


def _cells(row: Mapping[str, str], columns: Sequence[str], number: int, locale: str | None) -> tuple[Decimal, ...]:
    """The row's numbers in `columns`; a ValueError naming every bad one of them."""
    found: list[Decimal] = []
    bad: list[str] = []
    for column in columns:
        try:
            found.append(_cell(row, column, number, locale))
        except ValueError as error:
            bad.append(str(error))
    if bad:
        raise ValueError("; ".join(bad))
    return tuple(found)


def classify(description: str) -> str | None:
    """The contracted kind a description names by KIND_KEYWORDS, or None."""
    text = f" {_fold(description)} "
    for kind, phrases in KIND_KEYWORDS:
        if any(f" {phrase} " in text for phrase in phrases):
            return kind
    return None


def kind_of(line: BilledLine) -> str | None:
    """A billed line's kind: its kind column when present, else its description's keywords."""
    return line.kind or classify(line.description)


def audit(billed: BilledInvoice, expected: Expected) -> list[Difference]:
    """Every difference between the invoice as billed and the contract and measurement, each with its amount.

    Line by line (in row order): lines of no contracted kind and duplicates (their whole amount, not audited
    further), arithmetic, price; then quantities per kind, withholdings, total and net. The amounts are built
    so they do not count one cent twice: price on the billed quantity, quantity at the contracted price."""
    stray = sorted({line.kind for line in expected.lines} - set(expected.known_kinds))
    if stray:
        raise ValueError(f"measured kinds the contract does not have: {', '.join(stray)}")
    found: list[Difference] = []
    first_seen: dict[tuple[str, str, Decimal, Decimal], int] = {}
    by_kind: dict[str, list[BilledLine]] = {}
    for line in billed.lines:
        kind = kind_of(line)
        if kind is None or kind not in expected.known_kinds:
            what = f"kind {kind!r} is not in the contract" if kind else "matches no contracted kind"
            text = f"{line.description!r}: {what}"
            found.append(Difference("line_not_in_contract", line.row, text, line.amount, None, line.amount))
            continue
        key = (kind, _fold(line.description), line.quantity, line.unit_price)
        if key in first_seen:
            text = f"{line.description!r}: billed again (same kind, description, quantity and price as row "
            text += f"{first_seen[key]})"
            found.append(Difference("duplicate_line", line.row, text, line.amount, None, line.amount))
            continue
        first_seen[key] = line.row
        by_kind.setdefault(kind, []).append(line)
        product = line.quantity * line.unit_price
        if abs(line.amount - product) > _HALF_CENT:
            right = cents(product)
            text = f"{line.description!r}: {line.quantity} × {line.unit_price} is {right}, billed {line.amount}"
            code = "amount_not_quantity_times_price"
            found.append(Difference(code, line.row, text, line.amount, right, line.amount - right))
        if kind not in AMOUNT_KINDS:
            found.extend(_price(line, kind, expected))
    found.extend(_quantities(by_kind, expected))
    found.extend(_withholdings(billed, expected))
    found.extend(_totals(billed, expected))
    return found


def _price(line: BilledLine, kind: str, expected: Expected) -> list[Difference]:
    contracted = expected.price_at(kind)
    if line.unit_price == contracted:
        return []
    code, text = "price_not_contracted", f"{line.description!r}: unit price {line.unit_price}, contracted {contracted}"
    for label, candidate in expected.price_candidates.get(kind, {}).items():
        if candidate == line.unit_price:
            code = _candidate_code(label)
            text += f" (the price {label})"
            break
    amount = cents((line.unit_price - contracted) * line.quantity)
    return [Difference(code, line.row, text, line.unit_price, contracted, amount)]


def _quantities(by_kind: Mapping[str, Sequence[BilledLine]], expected: Expected) -> list[Difference]:
    kinds = list(by_kind) + [e.kind for e in expected.lines if e.kind not in by_kind]
    found: list[Difference] = []
    for kind in dict.fromkeys(kinds):
        lines = by_kind.get(kind, ())
        measured = [e for e in expected.lines if e.kind == kind]
        row = lines[0].row if len(lines) == 1 else None
        where = f"kind {kind} (rows {', '.join(str(line.row) for line in lines) or 'none'})"
        if kind in AMOUNT_KINDS:
            billed = sum((line.amount for line in lines), Decimal(0))
            wanted = sum((e.amount for e in measured), Decimal(0))
            if billed != wanted:
                text = f"{where}: billed {billed}, measured {wanted}"
                found.append(Difference("amount_not_measured", row, text, billed, wanted, cents(billed - wanted)))
            continue
        billed = sum((line.quantity for line in lines), Decimal(0))
        wanted = sum((e.quantity for e in measured), Decimal(0))
        if billed == wanted:
            continue
        code = "quantity_above_measured" if billed > wanted else "quantity_below_measured"
        price = expected.price_at(kind)
        text = f"{where}: billed quantity {billed}, measured {wanted}, at the contracted {price}"
        found.append(Difference(code, row, text, billed, wanted, cents((billed - wanted) * price)))
    return found


def _withholdings(billed: BilledInvoice, expected: Expected) -> list[Difference]:
    # A withholding the invoice leaves out makes the client pay it to the provider instead of the tax
    # authority: expected - billed is what it was overcharged.
    stated = {tax.upper(): value for tax, value in billed.withholdings.items()}
    wanted = {tax.upper(): cents(value) for tax, value in expected.withholdings.items()}
    found: list[Difference] = []
    for tax in sorted(stated.keys() | wanted.keys()):
        want, got = wanted.get(tax, Decimal("0.00")), stated.get(tax)
        row = billed.special_rows.get(f"{_WITHHOLDING}{tax}")
        if got is None:
            if want:
                found.append(Difference("withholding_missing", row, f"{tax} {want} not withheld", None, want, want))
        elif got != want:
            text = f"{tax}: withheld {got}, expected {want}"
            found.append(Difference("withholding_wrong", row, text, got, want, want - got))
    return found


def _totals(billed: BilledInvoice, expected: Expected) -> list[Difference]:
    """ISS, total and net. Where ISS is added to the prices, the stated total may be the services' (the lines)
    or the gross (lines and ISS); the net is checked on the stated figures, so one wrong figure counts once."""
    found: list[Difference] = []
    lines = sum((line.amount for line in billed.lines), Decimal(0))
    iss = cents(lines * expected.iss_rate) if expected.iss_on_top else Decimal(0)
    if expected.iss_on_top and billed.iss is not None and billed.iss != iss:
        text = f"stated ISS {billed.iss}, {expected.iss_rate:%} of the lines' {lines} is {iss}"
        found.append(Difference("iss_wrong", billed.special_rows.get("iss"), text, billed.iss, iss, billed.iss - iss))
    stated_iss = billed.iss if expected.iss_on_top and billed.iss is not None else iss
    gross = lines + iss
    if billed.total is not None and billed.total not in (lines, lines + stated_iss):
        # compared with the nearer of the two it may mean: the services' subtotal or the gross
        right = min((lines, gross), key=lambda x: abs(billed.total - x))  # type: ignore[operator]
        text = f"stated total {billed.total}, the lines add up to {lines}"
        text += f" ({gross} with ISS)" if iss else ""
        row = billed.special_rows.get("total")
        found.append(Difference("total_does_not_add_up", row, text, billed.total, right, billed.total - right))
    if billed.net is not None:
        # the stated gross, right or already reported; else the lines with their ISS
        base = lines + stated_iss if billed.total is None or billed.total == lines else billed.total
        net = base - sum(billed.withholdings.values(), Decimal(0))
        if billed.net != net:
            text = f"stated net {billed.net}, gross {base} less withholdings is {net}"
            row = billed.special_rows.get("net")
            found.append(Difference("net_does_not_add_up", row, text, billed.net, net, billed.net - net))
    return found


def _candidate_code(label: str) -> str:
    text = f" {_fold(label)} "
    return next((code for phrase, code in CANDIDATE_CODES if f" {phrase} " in text), "price_not_contracted")


def _special(kind: str, description: str) -> str:
    lowered = kind.strip().lower()
    if lowered in ("period", "total", "net", "iss"):
        return lowered
    if lowered.startswith(_WITHHOLDING):
        tax = kind.strip()[len(_WITHHOLDING) :].strip().upper()
        return f"{_WITHHOLDING}{tax}"
    if kind:
        return ""
    folded = _fold(description)
    if folded in _TOTAL_LABELS:
        return "total"
    if folded in _NET_LABELS:
        return "net"
    if _ISS_LABEL.match(folded):
        return "iss"
    # "Período noturno" is a line; "Competência 03/2026" is the period
    return "period" if _PERIOD_LABEL.match(folded) and _PERIOD_VALUE.search(description) else ""


def _period(text: str, number: int) -> str:
    found = _PERIOD_VALUE.search(text)
    if found is None:
        raise ValueError(f"row {number}, column description: {text!r} has no period (YYYY-MM or MM/YYYY)")
    year, month = (found[1], found[2]) if found[1] else (found[4], found[3])
    if not 1 <= int(month) <= 12:
        raise ValueError(f"row {number}, column description: month {month} in {text!r}")
    return f"{year}-{int(month):02d}"


def read_number(text: str, locale: str | None) -> Decimal:
    """A billed number: as `locale` writes it (ops.tabular.parse_number: 1.234 is a thousand in pt-BR and
    es-AR, a plain 1234.56 read too), with an optional sign and R$ / $; without a locale, parse_decimal's guess."""
    if locale is None:
        return parse_decimal(text)
    s = text.strip().replace("\u00a0", " ")
    sign = ""
    if s[:1] in ("+", "-"):
        sign, s = s[0], s[1:].lstrip()
    for symbol in ("R$", "AR$", "US$", "$"):
        if s.startswith(symbol):
            s = s[len(symbol) :].lstrip()
            break
    if not sign and s[:1] in ("+", "-"):
        sign, s = s[0], s[1:]
    try:
        return parse_number(sign + s, locale)
    except ValueError:
        raise ValueError(f"{text!r} is not a number as {locale} writes it") from None


def _cell(row: Mapping[str, str], column: str, number: int, locale: str | None = None) -> Decimal:
    text = row.get(column, "")
    if not text:
        raise ValueError(f"row {number}, column {column}: empty")
    try:
        return read_number(text, locale)
    except ValueError as error:
        raise ValueError(f"row {number}, column {column}: {error}") from None


def _column(name: str) -> str:
    return "_".join(name.strip().lower().split())


def _fold(text: str) -> str:
    # Accents, case and punctuation out, so "Posições", "POSICOES" and "posições:" match alike
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())
