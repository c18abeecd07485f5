"""The billing pages' words: every msgid they use is in the Portuguese and Spanish catalogues (which Babel still
reads), with the same placeholders; and money, typed amounts and the page languages in each locale's conventions."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from ops.l10n import CONTEXT_GLUE, LOCALE_DIR, Formats
from ops.web.i18n import locale_tag, pick_language, translate

WEB = Path(__file__).resolve().parents[3] / "src" / "ops" / "web"
SOURCES = [
    WEB / name
    for name in (
        "billing_view.py",
        "billing_forms.py",
        "billing_pages.py",
        "portal_billing.py",
        "disputes_view.py",
        "dispute_forms.py",
        "invoice_forms.py",
    )
]
TEMPLATES = sorted((WEB / "templates").glob("billing*.html"))
KEYWORDS = {"_": None, "N_": None, "NC_": ((1, "c"), 2)}


def used_msgids() -> set[str]:
    """The msgids the billing pages use, a context (NC_) glued to its msgid as the catalogue lookup does."""
    found = set()
    for path in SOURCES:
        for _, message, _, context in extract_from_file("python", path, keywords=KEYWORDS):
            text = message[-1] if isinstance(message, tuple) else message
            found.add(f"{context}{CONTEXT_GLUE}{text}" if context else str(text))
    found |= {str(m) for path in TEMPLATES for _, m, _, _ in extract_from_file("jinja2", path)}
    return found


@pytest.mark.parametrize("locale", ["pt_BR", "es_AR"])
def test_every_word_of_the_billing_pages_is_translated(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    words = {
        (f"{m.context}{CONTEXT_GLUE}{m.id}" if m.context else str(m.id)): str(m.string)
        for m in catalogue
        if m.id and m.string and not m.fuzzy
    }
    used = used_msgids()
    assert len(used) > 90  # the extraction did find the pages' words
    assert sorted(used - set(words)) == []
    for msgid in used:
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", words[msgid])), msgid


def test_money_and_typed_amounts_follow_the_locale() -> None:
    assert Formats("pt-BR").money(Decimal("147000"), "BRL") == "R$\xa0147.000,00"
    assert Formats("es-AR").money(Decimal("147000"), "BRL") == "BRL\xa0147.000,00"  # kept off the digits
    assert Formats("en").money(Decimal("-3645"), "BRL") == "-R$3,645.00"
    assert Formats("pt-BR").price(Decimal("4.1825"), "BRL") == "R$\xa04,1825"
    assert Formats("es-AR").price(Decimal("62.0000"), "BRL") == "BRL\xa062,00"


def test_the_page_language_maps_to_the_catalogue_language() -> None:
    assert [locale_tag(lang) for lang in ("pt", "es", "en")] == ["pt-BR", "es-AR", "en"]
    assert pick_language({}, "es-AR,es;q=0.9") == "es"
    assert pick_language({"ops_lang": "es"}, "pt-BR") == "es"
    assert pick_language({}, "fr-FR") == "en"
    # The pages' phrases come from the same catalogues.
    assert translate("sign_in", "es") == "Ingresar"
    assert translate("wk_title", "es") == "Mi trabajo"
