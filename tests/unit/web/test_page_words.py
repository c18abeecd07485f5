"""The older pages' words (work, supervisor, staffing, portal, the wallboard, the frame): every phrase is an English
msgid with a Portuguese and an Argentine Spanish translation in the gettext catalogues, which the pages' t("key")
reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from ops.composition import wire
from ops.l10n import CONTEXT_GLUE, LOCALE_DIR, gettext
from ops.web.i18n import PHRASES, translate

WEB = Path(__file__).resolve().parents[3] / "src" / "ops" / "web"
KEYWORDS = {"N_": None, "NC_": ((1, "c"), 2)}


PHRASE_MODULES = (
    "i18n.py",
    "work_pages.py",
    "ticket_words.py",
    "ticket_story.py",
    "live_pages.py",
    "staffing_pages.py",
    "portal_pages.py",
    "supervisor_pages.py",
    "wallboard_pages.py",
)


def page_msgids(modules: tuple[str, ...] = (*PHRASE_MODULES, "errors.py")) -> set[str]:
    """The msgids pybabel extract finds in the page modules (N_ and NC_, as babel.cfg says), context included."""
    found: set[str] = set()
    for name in modules:
        for _, message, _, context in extract_from_file("python", WEB / name, keywords=KEYWORDS):
            text = message if isinstance(message, str) else message[-1]
            found.add(f"{context}{CONTEXT_GLUE}{text}" if context else text)
    return found


@pytest.mark.parametrize("locale", ["pt_BR", "es_AR"])
def test_every_page_phrase_has_a_translation(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    words = {
        (f"{m.context}{CONTEXT_GLUE}{m.id}" if m.context else str(m.id)): str(m.string)
        for m in catalogue
        if m.id and not m.fuzzy
    }
    wire()
    # every registered phrase is marked for the extraction (and so are the charts' and the error pages' words)
    extracted = page_msgids()
    assert set(PHRASES.values()) <= extracted
    assert len(extracted) > 220
    missing = sorted(msgid for msgid in extracted if not words.get(msgid, "").strip())
    assert missing == []
    for msgid in extracted:  # the same {placeholders}, or the page's format() fails in that language
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", words[msgid])), msgid


def test_the_pages_speak_spanish_from_the_catalogue() -> None:
    wire()
    assert translate("wk_title", "es") == "Mi trabajo"
    assert translate("wk_next_ticket", "es") == "Próximo ticket"
    assert translate("wk_queue", "es") == "Cola"
    assert translate("wk_title", "pt") == "Meu trabalho"
    assert translate("wk_title", "en") == "My work"
    assert translate("no_such_key", "es") == "no_such_key"


def test_a_context_keeps_two_meanings_of_one_english_word_apart() -> None:
    wire()
    # The agent's "Change" (of status) is not the billing page's "Change" (of a value), nor a ticket's "open" an
    # invoice's; English reads the bare word.
    assert (translate("wk_set_status", "pt"), gettext("pt-BR")("Change")) == ("Alterar", "Variação")
    assert (translate("wk_status_open", "es"), gettext("es-AR")("open")) == ("abierto", "abierta")
    assert translate("wk_set_status", "en") == "Change"


def test_a_moment_of_the_working_week_follows_the_locale() -> None:
    from datetime import UTC, datetime

    from ops.l10n import Formats

    at = datetime(2026, 12, 6, 17, 5, tzinfo=UTC)
    assert Formats("pt-BR").moment(at, "America/Sao_Paulo") == "06/12 14:05"
    assert Formats("es-AR").moment(at, "America/Argentina/Buenos_Aires") == "6/12, 14:05"
    assert Formats("en").moment(at, "UTC").replace("\u202f", " ") == "12/6, 5:05 PM"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("es-AR,es;q=0.9", "es"),
        ("fr-FR, es;q=0.8", "es"),  # the first language we speak, not only the first one asked
        ("en-US;q=0.5, es-AR", "es"),  # by weight, not by order
        ("pt-PT", "pt"),
        ("es-419", "es"),
        ("en-GB,en;q=0.9,pt-BR;q=0.8", "en"),
        ("fr-FR", "en"),
        ("de;q=x, pt", "pt"),  # a broken weight is not trusted
        (None, "en"),
    ],
)
def test_the_browsers_language_is_negotiated(header: str | None, lang: str) -> None:
    from ops.web.i18n import pick_language

    assert pick_language({}, header) == lang
    assert pick_language({"ops_lang": "pt"}, header) == "pt"  # the switch wins


def test_the_ticket_history_writes_its_values_in_the_readers_locale() -> None:
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from ops.l10n import Formats
    from ops.web.work_pages import shown

    zone = ZoneInfo("America/Sao_Paulo")
    pt, en = Formats("pt-BR"), Formats("en")
    assert shown("2026-03-02T14:00:00+00:00", pt, zone, "due") == "02/03 11:00"  # was the raw ISO text
    assert shown(960.0, pt, zone, "target_minutes") == "960"  # was 960.0
    assert (shown(1234.5, pt, zone, "minutes"), shown(1234.5, en, zone, "minutes")) == ("1.234,5", "1,234.5")
    assert shown(Decimal("19.50"), pt, zone, "minutes") == shown("19.50", pt, zone, "minutes") == "19,5"
    assert shown(1234, pt, zone, "assigned_agent_id") == "1234"  # an id is not a quantity
    assert shown("open", pt, zone, "status") == "open"
