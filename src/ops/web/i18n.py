"""Words of the pages in Portuguese, English and (where given) Spanish; the language comes from a cookie or the
browser, and maps to the documents' language tags (pt-BR, es-AR, en) for gettext catalogues and Babel formats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ops.l10n import language

LANGUAGES = ("pt", "es", "en")
LANG_COOKIE = "ops_lang"

# (Portuguese, English) or (Portuguese, English, Spanish). A phrase without its Spanish shows in English, as a
# gettext catalogue without the msgid does: the older pages' words are not all in Spanish yet.
Phrase = tuple[str, str] | tuple[str, str, str]

# One entry per phrase: key -> its words. Pages call t("key").
PHRASES: dict[str, Phrase] = {
    "app_title": ("ops - operações", "ops - operations", "ops - operaciones"),
    "sign_in": ("Entrar", "Sign in", "Ingresar"),
    "sign_out": ("Sair", "Sign out", "Salir"),
    "token": ("Token de acesso", "Access token", "Token de acceso"),
    "token_help": (
        "Cole o token que o gestor lhe entregou.",
        "Paste the token your manager gave you.",
        "Pegue el token que le entregó su responsable.",
    ),
    "bad_token": (
        "Token inválido, expirado ou revogado.",
        "Invalid, expired or revoked token.",
        "Token inválido, vencido o revocado.",
    ),
    "too_many_sign_ins": (
        "Tentativas demais a partir deste endereço. Aguarde um minuto e tente de novo.",
        "Too many attempts from this address. Wait a minute and try again.",
        "Demasiados intentos desde esta dirección. Espere un minuto y vuelva a intentarlo.",
    ),
    "my_tickets": ("Meus chamados", "My tickets", "Mis tickets"),
    "queue": ("Fila", "Queue", "Cola"),
    "queues": ("Filas", "Queues", "Colas"),
    "next_ticket": ("Próximo chamado", "Next ticket", "Próximo ticket"),
    "supervisor": ("Supervisão", "Supervisor", "Supervisión"),
    "staffing": ("Dimensionamento", "Staffing", "Dimensionamiento"),
    "billing": ("Faturamento", "Billing", "Facturación"),
    "reports": ("Relatórios", "Reports", "Informes"),
    "portal": ("Portal do cliente", "Client portal", "Portal del cliente"),
    "language": ("Idioma", "Language", "Idioma"),
    "nothing_here": ("Nada por aqui.", "Nothing here.", "Nada por aquí."),
}


def translate(key: str, lang: str) -> str:
    words = PHRASES.get(key)
    if words is None:
        return key
    if lang == "pt":
        return words[0]
    if lang == "es" and len(words) > 2:
        return words[2]
    return words[1]


def pick_language(cookies: dict[str, str], accept_language: str | None) -> str:
    chosen = cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    header = (accept_language or "").lower()
    return "pt" if header.startswith("pt") else "es" if header.startswith("es") else "en"


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
