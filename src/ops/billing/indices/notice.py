"""The readjustment notice to the client: old and new prices, the index, its months, the factor and the legal basis,
as HTML or PDF, in Portuguese (pt-BR) or English, with money, numbers and dates in that language's form (Babel)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ops.billing.indices.schemas import ReadjustPreview
from ops.errors import InvalidInputError

LANGS = ("pt-BR", "en")
TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))

# Private contracts may carry yearly readjustment by a price index (Lei 10.192/2001, art. 2); a shorter period is
# void (its § 1). Public contracts under Lei 14.133/2021 state their index and anniversary in the contract too.
WORDS: dict[str, dict[str, str]] = {
    "pt-BR": {
        "title": "Aviso de reajuste contratual",
        "draft": "Minuta: este reajuste ainda não foi aplicado.",
        "to": "Ao cliente",
        "contract": "Contrato",
        "effective": "Vigência dos novos preços",
        "intro": (
            "Conforme a cláusula de reajuste do contrato {contract}, os preços unitários passam a ser reajustados "
            "a partir de {day} pela variação acumulada do {index} de {first} a {last} ({count} meses)."
        ),
        "index": "Índice",
        "months": "Meses apurados",
        "factor": "Fator de reajuste",
        "change": "Variação",
        "cumulative": "Fator acumulado desde o preço-base",
        "earlier": "Reajustes anteriores aplicados",
        "item": "Item",
        "current": "Preço atual",
        "new": "Novo preço",
        "floored": (
            "A variação acumulada do índice foi negativa (fator {raw}): os preços ficam inalterados, como prevê o "
            "contrato (piso zero)."
        ),
        "fallback": "Por falta de mês publicado do {rule_index}, aplicou-se o índice substituto do contrato, {index}.",
        "compounded": (
            "Os novos preços aplicam ao preço-base do contrato o produto de todos os fatores de reajuste até esta "
            "data, arredondado uma única vez a 4 casas decimais."
        ),
        "legal": (
            "Base legal: cláusula de reajuste do contrato; Lei nº 10.192/2001, art. 2º, § 1º (reajuste por índice "
            "de preços com periodicidade anual)."
        ),
    },
    "en": {
        "title": "Contract price readjustment notice",
        "draft": "Draft: this readjustment has not been applied yet.",
        "to": "To",
        "contract": "Contract",
        "effective": "New prices in force from",
        "intro": (
            "Under the readjustment clause of contract {contract}, unit prices are readjusted from {day} by the "
            "accumulated change of {index} from {first} to {last} ({count} months)."
        ),
        "index": "Index",
        "months": "Months measured",
        "factor": "Readjustment factor",
        "change": "Change",
        "cumulative": "Accumulated factor since the base price",
        "earlier": "Earlier readjustments applied",
        "item": "Item",
        "current": "Current price",
        "new": "New price",
        "floored": (
            "The index's accumulated change was negative (factor {raw}): prices stay unchanged, as the contract "
            "provides (floor at zero)."
        ),
        "fallback": "As {rule_index} lacked a published month, the contract's substitute index {index} was used.",
        "compounded": (
            "New prices apply to the contract's base price the product of every readjustment factor up to this "
            "date, rounded once to 4 decimals."
        ),
        "legal": (
            "Legal basis: the contract's readjustment clause; Brazilian Law 10.192/2001, art. 2, § 1 (readjustment "
            "by a price index once a year)."
        ),
    },
}
ITEM_LABELS: dict[str, dict[str, str]] = {
    "pt-BR": {
        "position_month": "Posição de atendimento (mês)",
        "reinforcement_hour": "Hora de reforço",
        "ticket_minute": "Minuto de atendimento de chamado",
        "oncall_hour": "Hora de sobreaviso",
    },
    "en": {
        "position_month": "Service position (month)",
        "reinforcement_hour": "Reinforcement hour",
        "ticket_minute": "Ticket minute",
        "oncall_hour": "On-call hour",
    },
}


def check_lang(lang: str, field: str = "lang") -> str:
    """The notice's language, or a 422 naming the field."""
    if lang not in LANGS:
        problem = f"{lang!r} is not a notice language: expected {' or '.join(LANGS)}"
        raise InvalidInputError(f"{field}: {problem}", extra=[{"field": field, "problem": problem}])
    return lang


def notice_html(preview: ReadjustPreview, *, lang: str = "pt-BR") -> str:
    """The notice as a standalone HTML page."""
    return _env.get_template("readjustment_notice.html.j2").render(**_context(preview, check_lang(lang)))


def notice_pdf(preview: ReadjustPreview, *, lang: str = "pt-BR") -> bytes:
    """The notice laid out by WeasyPrint (A4 portrait)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=notice_html(preview, lang=lang)).write_pdf()
    return pdf


def notice_filename(preview: ReadjustPreview, *, lang: str, fmt: str = "pdf") -> str:
    stem = "reajuste" if lang == "pt-BR" else "readjustment"
    return f"{stem}-{preview.contract}-{preview.anniversary.isoformat()}.{fmt}"


def _context(preview: ReadjustPreview, lang: str) -> dict[str, Any]:
    words = WORDS[lang]
    locale = Locale.parse(lang.replace("-", "_"))
    # The language's currency pattern with 2 to 4 decimals: unit prices keep 4 (62.00 stays 62,00; 4.1825 shows all).
    money_pattern = locale.currency_formats["standard"].pattern.replace("0.00", "0.00##")

    def money(value: Decimal) -> str:
        return format_currency(value, preview.currency, format=money_pattern, locale=locale, currency_digits=False)

    def factor(value: Decimal) -> str:
        return format_decimal(value, format="0.00000000", locale=locale)

    def month(text: str) -> str:
        return format_date(
            date.fromisoformat(f"{text}-01"), "MMMM 'de' yyyy" if lang == "pt-BR" else "MMMM yyyy", locale
        )

    def change(new: Decimal, old: Decimal) -> str:
        return format_percent((new - old) / old if old else Decimal(0), format="#,##0.00%", locale=locale)

    first, last = preview.months[0], preview.months[-1]
    facts = [
        (words["index"], preview.index),
        (words["months"], f"{month(first)} – {month(last)} ({len(preview.months)})"),
        (words["factor"], factor(preview.factor)),
        (words["change"], format_percent(preview.factor - 1, format="#,##0.00%", locale=locale)),
    ]
    if preview.earlier:
        earlier = "; ".join(
            f"{format_date(e.anniversary, 'short', locale=locale)} {e.index} {factor(e.factor)}"
            for e in preview.earlier
        )
        facts += [(words["earlier"], earlier), (words["cumulative"], factor(preview.cumulative_factor))]
    notes = []
    if preview.floored:
        notes.append(words["floored"].format(raw=factor(preview.raw_factor)))
    if preview.fallback_used:
        notes.append(words["fallback"].format(rule_index=preview.rule_index, index=preview.index))
    if preview.earlier:
        notes.append(words["compounded"])
    labels = ITEM_LABELS[lang]
    return {
        "lang": lang,
        "w": words,
        "p": preview,
        "draft": preview.status != "applied",
        "day": format_date(preview.anniversary, "long", locale=locale),
        "intro": words["intro"].format(
            contract=preview.contract,
            day=format_date(preview.anniversary, "long", locale=locale),
            index=preview.index,
            first=month(first),
            last=month(last),
            count=len(preview.months),
        ),
        "facts": facts,
        "notes": notes,
        "prices": [
            {
                "label": labels.get(p.item, p.item),
                "current": money(p.current),
                "new": money(p.new),
                "change": change(p.new, p.current),
            }
            for p in preview.prices
        ],
        # Plain text in the PDF's metadata, where a program (or a test) reads the factor without a PDF parser.
        "subject": f"{preview.contract} {preview.anniversary.isoformat()} {preview.index} factor {preview.factor}",
    }
