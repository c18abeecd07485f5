"""Rendering a page: the template config, and the context every page gets (user, language, words)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from ops.auth import Principal
from ops.authentication import PageAuth
from ops.idempotency.middleware import FORM_FIELD
from ops.l10n import Formats
from ops.sessions import CSRF_FIELD
from ops.web.headers import csp_nonce
from ops.web.i18n import locale_tag, pick_language, translator

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def page(request: Request[Any, Any, Any], name: str, **context: Any) -> Template:
    """Render a page template with the caller, the language, the translator and the Babel formats."""
    lang = pick_language(dict(request.cookies), request.headers.get("accept-language"))
    user = request.scope.get("user")
    auth = request.scope.get("auth")
    csrf = auth.csrf if isinstance(auth, PageAuth) else ""
    return Template(
        template_name=name,
        context={
            "user": user if isinstance(user, Principal) else None,
            "lang": lang,
            "t": translator(lang),
            # Every form that posts carries the session's CSRF token; scripts send it as X-CSRF-Token.
            "csrf": csrf,
            "csp_nonce": csp_nonce(request),
            # ... and a key of its own, fresh for each form shown: sent twice, the form acts once (ops.idempotency).
            "csrf_field": lambda: Markup(
                '<input type="hidden" name="{}" value="{}"><input type="hidden" name="{}" value="{}">'
            ).format(CSRF_FIELD, csrf, FORM_FIELD, secrets.token_hex(16)),
            "fmt": Formats(locale_tag(lang)),  # numbers, money, percentages and dates by Babel
            # Where the language switch comes back to: the page as shown, its query included; a page re-rendered
            # by a form's POST (whose address answers only POST) goes back to the page the form was on.
            "request_path": (
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
                if request.method == "GET"
                else came_from(request)
            ),
            **context,
        },
    )


def came_from(request: Request[Any, Any, Any]) -> str:
    """The page of this site the reader came from (its path and query, from the Referer), else the home page."""
    referer = urlsplit(request.headers.get("referer") or "")
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/"
    if not referer.path.startswith("/") or referer.path.startswith("//") or "\\" in referer.path:
        return "/"
    return referer.path + (f"?{referer.query}" if referer.query else "")
