"""Words of the pages: each page module names its phrases (key -> English msgid), whose Portuguese and Spanish are
in the gettext catalogues (ops.l10n); the language comes from a cookie or the browser, and maps to the documents'
language tags (pt-BR, es-AR, en) for the catalogues and Babel formats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel import Locale

from ops.errors import DomainError
from ops.l10n import N_, NC_, gettext, language, say

LANGUAGES = ("pt", "es", "en")
LANG_COOKIE = "ops_lang"

# A phrase is its English msgid (N_, or NC_ with a context); its translations are in the catalogues.
Phrase = str

# One entry per phrase: key -> its msgid. Pages call t("key").
PHRASES: dict[str, Phrase] = {
    "app_title": N_("ops - operations"),
    "sign_in": N_("Sign in"),
    "sign_out": N_("Sign out"),
    "token": N_("Access token"),
    "token_help": N_("Paste the token your manager gave you."),
    "bad_token": N_("Invalid, expired or revoked token."),
    "too_many_sign_ins": N_("Too many attempts from this address. Wait a minute and try again."),
    "my_tickets": N_("My tickets"),
    "queue": N_("Queue"),
    "queues": N_("Queues"),
    "next_ticket": N_("Next ticket"),
    "supervisor": N_("Supervisor"),
    "staffing": N_("Staffing"),
    "billing": N_("Billing"),
    "reports": N_("Reports"),
    "portal": N_("Client portal"),
    "language": N_("Language"),
    "nothing_here": N_("Nothing here."),
    "role_agent": NC_("role", "agent"),
    "role_supervisor": NC_("role", "supervisor"),
    "role_manager": NC_("role", "manager"),
    "role_client": NC_("role", "client"),
}


def translate(key: str, lang: str) -> str:
    """A phrase in a page language (pt, es, en) from the catalogues; an unknown key shows as itself."""
    message = PHRASES.get(key)
    return key if message is None else gettext(locale_tag(lang))(message)


def told(exc: DomainError, lang: str) -> str:
    """A service's refusal as a page shows it: in the page's language when the service said it as a msgid."""
    return say(exc.said, locale_tag(lang)) if exc.said is not None else exc.message


def pick_language(cookies: dict[str, str], accept_language: str | None) -> str:
    """The page language: the switch's cookie, else the browser's most wanted language we speak (Babel's
    negotiation over the Accept-Language entries by their q weights), else English."""
    chosen = cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    wanted: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and weight > 0:
            wanted.append((-weight, order, tag.strip().replace("-", "_")))
    found = Locale.negotiate([tag for _, _, tag in sorted(wanted)], list(LANGUAGES), sep="_")
    return str(found.language) if found is not None else "en"


def locale_tag(lang: str) -> str:
    """The language tag of the documents and catalogues (pt-BR, es-AR, en) for a page language (pt, es, en)."""
    return language(lang)


def translator(lang: str) -> Any:
    def t(key: str) -> str:
        return translate(key, lang)

    return t


def register_phrases(phrases: Mapping[str, Phrase]) -> None:
    """Each page module's words, added by the composition root."""
    PHRASES.update(phrases)
