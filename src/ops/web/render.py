"""Rendering a page: the template config, and the context every page gets (user, language, words)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from ops.auth import Principal
from ops.authentication import PageAuth
from ops.sessions import CSRF_FIELD
from ops.web.i18n import pick_language, translator

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def page(request: Request[Any, Any, Any], name: str, **context: Any) -> Template:
    """Render a page template with the caller, the language and the translator."""
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
            "csrf_field": lambda: Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf),
            # Where the language switch comes back to: the page as shown, its query included (a page re-rendered
            # by a form's POST passes its own GET address instead).
            "request_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        },
    )
