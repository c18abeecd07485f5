"""Words of the pages in Portuguese and English; the language comes from a cookie or the browser."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("pt", "en")
LANG_COOKIE = "ops_lang"

# One entry per phrase: key -> (Portuguese, English). Pages call t("key").
PHRASES: dict[str, tuple[str, str]] = {
    "app_title": ("ops - operações", "ops - operations"),
    "sign_in": ("Entrar", "Sign in"),
    "sign_out": ("Sair", "Sign out"),
    "token": ("Token de acesso", "Access token"),
    "token_help": ("Cole o token que o gestor lhe entregou.", "Paste the token your manager gave you."),
    "bad_token": ("Token inválido ou revogado.", "Invalid or revoked token."),
    "my_tickets": ("Meus chamados", "My tickets"),
    "queue": ("Fila", "Queue"),
    "queues": ("Filas", "Queues"),
    "next_ticket": ("Próximo chamado", "Next ticket"),
    "supervisor": ("Supervisão", "Supervisor"),
    "staffing": ("Dimensionamento", "Staffing"),
    "reports": ("Relatórios", "Reports"),
    "portal": ("Portal do cliente", "Client portal"),
    "language": ("Idioma", "Language"),
    "nothing_here": ("Nada por aqui.", "Nothing here."),
}


def translate(key: str, lang: str) -> str:
    pair = PHRASES.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "pt" else pair[1]


def pick_language(cookies: dict[str, str], accept_language: str | None) -> str:
    chosen = cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    header = (accept_language or "").lower()
    return "pt" if header.startswith("pt") else "en"


def translator(lang: str) -> Any:
    def t(key: str) -> str:
        return translate(key, lang)

    return t


def register_phrases(phrases: dict[str, tuple[str, str]]) -> None:
    """Each page module's words (Portuguese, English), added by the composition root."""
    PHRASES.update(phrases)
