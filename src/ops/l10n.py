"""Languages of the documents and pages: Portuguese (Brazil) and Spanish (Argentina) first, English third. Words
come from gettext catalogues (src/ops/locale/<locale>/LC_MESSAGES/messages.po, the msgids in English); numbers,
money, percentages and dates are formatted by Babel for the locale, never by hand."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time, get_datetime_format
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

from ops.errors import InvalidInputError, Said

LOCALE_DIR = Path(__file__).parent / "locale"
# The language tags the application speaks, first the default; each maps to its Babel locale.
LANGUAGES: dict[str, str] = {"pt-BR": "pt_BR", "es-AR": "es_AR", "en": "en"}
DEFAULT = "pt-BR"
# gettext's separator between a message's context and its msgid (what pgettext looks up): "agent status\x04Change".
CONTEXT_GLUE = "\x04"
# Short forms people and browsers send: pt, es, en, pt_BR...
_ALIASES = {"pt": "pt-BR", "pt-br": "pt-BR", "pt_br": "pt-BR", "es": "es-AR", "es-ar": "es-AR", "es_ar": "es-AR"}


def asked_language(tag: str | None, field: str = "lang") -> str:
    """The language a request names (`?lang=`), the default when it names none; one no document speaks is refused
    naming the field (`fr` was answered in pt-BR without a word)."""
    if tag is None or not tag.strip():
        return DEFAULT
    base = tag.strip().lower().replace("_", "-").split("-")[0]
    if tag not in LANGUAGES and base not in ("pt", "es", "en"):
        problem = f"{tag!r} is not one of {', '.join(LANGUAGES)}"
        raise InvalidInputError(f"{field}: {problem}", extra=[{"field": field, "problem": problem}])
    return language(tag)


def language(tag: str | None) -> str:
    """The supported language a tag names (pt, pt-BR, es, es-AR, en, en-US...), else the default."""
    if not tag:
        return DEFAULT
    if tag in LANGUAGES:
        return tag
    lowered = tag.strip().lower().replace("_", "-")
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    base = lowered.split("-")[0]
    return _ALIASES.get(base, "en" if base == "en" else DEFAULT)


def negotiate(accept_language: str | None) -> str:
    """The best supported language for a browser's Accept-Language header (the default when none fits)."""
    found = Locale.negotiate(
        [part.split(";")[0].strip().replace("-", "_") for part in (accept_language or "").split(",") if part.strip()],
        [*LANGUAGES.values(), "pt", "es"],
        sep="_",
    )
    return language(str(found)) if found else DEFAULT


def N_(message: str) -> str:
    """Marks a msgid for the catalogue (pybabel extract -k N_) that is translated where it is shown."""
    return message


def NC_(context: str, message: str) -> str:
    """A msgid with its context (pybabel extract -k NC_:1c,2), for an English word that two places translate
    differently ("open" ticket, "em aberto" invoice); gettext() looks it up as pgettext does."""
    return f"{context}{CONTEXT_GLUE}{message}"


@cache
def _catalogue(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / LANGUAGES[lang] / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=LANGUAGES[lang])
    return {
        (f"{m.context}{CONTEXT_GLUE}{m.id}" if m.context else str(m.id)): str(m.string)
        for m in catalogue
        if m.id and m.string and not m.fuzzy
    }


def gettext(lang: str) -> Callable[[str], str]:
    """The translation function of a language: the catalogue's word, or the English msgid when it has none (a
    message with a context, NC_, is looked up with it and falls back to its msgid alone)."""
    words = _catalogue(language(lang))

    def _(message: str) -> str:
        found = words.get(message)
        return found if found is not None else message.rpartition(CONTEXT_GLUE)[2]

    return _


def say(said: Said, lang: str) -> str:
    """A service message in a language: its msgid translated, its numbers in the locale's digits."""
    fmt = Formats(lang)

    def shown(value: object) -> object:
        if isinstance(value, Said):
            return say(value, lang)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return fmt.number(value, 0 if isinstance(value, int) else 2)
        return value

    return gettext(lang)(said.msgid).format(**{k: shown(v) for k, v in said.params.items()})


def _spaced(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out: a symbol whose edge next to the digits is a letter is kept
    off them by a no-break space (es-AR writes BRL 147.000,00, not BRL147.000,00); R$ and $ stay as the pattern has
    them."""
    at = text.find(symbol)
    if at < 0 or not symbol:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdigit() and not unicodedata.category(symbol[-1]).startswith("S"):
        return text[:end] + "\xa0" + text[end:]
    if at > 0 and text[at - 1].isdigit() and not unicodedata.category(symbol[0]).startswith("S"):
        return text[:at] + "\xa0" + text[at:]
    return text


class Formats:
    """Numbers, money, percentages and dates in one language's conventions."""

    def __init__(self, lang: str) -> None:
        self.lang = language(lang)
        self.locale = LANGUAGES[self.lang]

    def separators(self) -> str:
        """The locale's decimal and group symbols, as Plotly's layout.separators takes them (",." in pt-BR)."""
        symbols = Locale.parse(self.locale).number_symbols.get("latn", {})
        return f"{symbols.get('decimal', '.')}{symbols.get('group', ',')}"

    def money(self, value: Decimal | None, currency: str) -> str:
        if value is None:
            return ""
        return _spaced(format_currency(value, currency, locale=self.locale), get_currency_symbol(currency, self.locale))

    def price(self, value: Decimal | None, currency: str) -> str:
        """A unit price: money with 2 to 4 decimals, so a readjusted 4.1825 shows whole and 62.00 stays 62,00."""
        if value is None:
            return ""
        pattern = Locale.parse(self.locale).currency_formats["standard"].pattern.replace("0.00", "0.00##")
        text = format_currency(value, currency, format=pattern, locale=self.locale, currency_digits=False)
        return _spaced(text, get_currency_symbol(currency, self.locale))

    def number(self, value: Decimal | float | int | None, digits: int = 0) -> str:
        if value is None:
            return ""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def quantity(self, value: Decimal | None) -> str:
        """A quantity with the decimals it has, no trailing zeros (3 positions, 2,5 hours, 0,483871 position)."""
        if value is None:
            return ""
        text = format(value.normalize(), "f")
        digits = len(text.split(".")[1]) if "." in text else 0
        return self.number(value, digits)

    def percent(self, value: Decimal | float | None, digits: int = 1) -> str:
        if value is None:
            return ""
        return format_percent(value, format="#,##0." + "0" * digits + "%" if digits else "#,##0%", locale=self.locale)

    def signed_percent(self, value: Decimal | float | None, digits: int = 1) -> str:
        """A change or a bias, its sign always written (+3,1 %, -2,0 %), in the locale's signs."""
        if value is None:
            return ""
        body = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
        return format_percent(value, format=f"+{body};-{body}", locale=self.locale)

    def date(self, value: dt.date | None, style: str = "medium") -> str:
        return "" if value is None else format_date(value, format=style, locale=self.locale)

    def datetime(self, value: dt.datetime | None, zone: str | None = None, style: str = "medium") -> str:
        if value is None:
            return ""
        return format_datetime(value, format=style, tzinfo=ZoneInfo(zone) if zone else None, locale=self.locale)

    def moment(self, value: dt.datetime | None, zone: dt.tzinfo | str | None = None) -> str:
        """A day and time of the working weeks, without the year, as lists show them: 06/12 14:05 (pt-BR),
        6/12, 14:05 (es-AR), 12/6, 2:05 PM (en): the locale's day-month skeleton and short time, joined by its
        own pattern."""
        if value is None:
            return ""
        local = value.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone) if zone else value
        day = format_skeleton("Md", local, locale=self.locale)
        time = format_time(local, "short", locale=self.locale)
        return str(get_datetime_format("short", locale=self.locale)).replace("{1}", day).replace("{0}", time)

    def weekday(self, value: dt.date) -> str:
        """A day of a week in short words, as a chart's axis names it: seg., 7 de dez. / lun, 7 dic / Mon, Dec 7."""
        return str(format_skeleton("MMMEd", value, locale=self.locale))

    def month(self, value: dt.date) -> str:
        """A month in words: novembro de 2026, noviembre de 2026, November 2026."""
        return format_date(value, format="LLLL 'de' yyyy" if self.lang != "en" else "LLLL yyyy", locale=self.locale)

    def month_named(self, value: str) -> str:
        """A month written YYYY-MM (a measurement's, an invoice's) in words, as `month` names it; other text as is."""
        try:
            return self.month(dt.date.fromisoformat(f"{value}-01"))
        except ValueError:
            return value
