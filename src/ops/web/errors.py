"""Errors on the pages: a refused, missing or invalid request (400, 403, 404, 405, 409, 422) shows an HTML page in
the reader's language with its real status, what went wrong and a way back; the API (/api, /schema, /health) keeps
its JSON answers. A query value Litestar cannot read (a week of 2026-13-45) is a 422 on a page, naming the value."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.exceptions.responses import create_exception_response

from ops.errors import DomainError, StaleFormError
from ops.l10n import N_, gettext
from ops.web.i18n import locale_tag, pick_language, told
from ops.web.render import came_from, page

NOT_PAGES = ("/api", "/schema", "/health", "/static", "/vendor")
PAGE_STATUSES = (400, 403, 404, 405, 409, 422)
SAYS_WHAT_IS_WRONG = (400, 403, 409, 422)  # a refusal says why (a role, a form from another site)

# status -> (title, explanation), English msgids of the catalogues.
EXPLAINED: dict[int, tuple[str, str]] = {
    400: (N_("Bad request"), N_("The page could not read what was sent. Go back and try again.")),
    403: (N_("Not allowed"), N_("Your sign-in does not give access to this page.")),
    404: (N_("Not found"), N_("This page, or what it names, does not exist or is not visible to you.")),
    405: (
        N_("Not available this way"),
        N_("This address is not opened like this: go back and use the page's buttons."),
    ),
    409: (N_("Changed in the meantime"), N_("Someone changed this in the meantime: go back, reload and try again.")),
    422: (N_("Invalid value"), N_("A value sent is not valid: correct it and try again.")),
}
STALE_FORM = (
    N_("Form out of date"),
    N_(
        "This form was shown before your current sign-in (or comes from another site): "
        "open the page again and resend it."
    ),
)
GO_BACK, HOME, WHAT_WRONG, ERROR = N_("Go back"), N_("Home page"), N_("What is wrong"), N_("Error {status}")

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def is_page(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


def _problems(exc: Exception) -> list[dict[str, str]]:
    extra = getattr(exc, "extra", None)
    if not isinstance(extra, list):
        return []
    out = []
    for item in extra:
        if isinstance(item, dict):
            field = item.get("field") or item.get("key") or ""
            problem = item.get("problem") or item.get("message") or ""
            out.append({"field": str(field), "problem": str(problem)})
    return out


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The HTML page of a refused request, in the language of the reader (cookie, then browser)."""
    lang = pick_language(dict(request.cookies), request.headers.get("accept-language"))
    if isinstance(exc, DomainError):
        status, detail = exc.status_code, told(exc, lang)
    elif isinstance(exc, ValidationException):
        status, detail = 422, str(exc.detail)  # a page's query or form value that cannot be read
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, str(exc.detail)
    else:  # pragma: no cover - only the exceptions above are routed here
        status, detail = 400, ""
    if detail == HTTPStatus(status).phrase or status not in SAYS_WHAT_IS_WRONG:
        # Litestar's bare "Not Found" says nothing the title does not; a missing object's English wording ("no
        # ticket 9") neither: the explanation is said in the reader's language. Bad input keeps its detail, which
        # names the field and the value, and a refusal its reason.
        detail = ""
    _ = gettext(locale_tag(lang))
    title, explanation = EXPLAINED.get(status, (N_("Request refused"), N_("The request was refused.")))
    if isinstance(exc, StaleFormError):  # not a question of access: the form is older than this sign-in
        (title, explanation), detail = STALE_FORM, ""
    response = page(
        request,
        "error.html",
        status=status,
        heading=_(ERROR).format(status=status),
        title=_(title),
        explanation=_(explanation),
        detail=detail,
        problems=_problems(exc),
        what_wrong=_(WHAT_WRONG),
        back=came_from(request),
        back_label=_(GO_BACK),
        home_label=_(HOME),
    )
    response.status_code = status
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)  # a 405's Allow, as the API's answer carries it
    return response


def page_or_json(api: Handler) -> Handler:
    """A handler answering a page route with the HTML error page and any other route as `api` does."""

    def handle(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        return error_page(request, exc) if is_page(request) else api(request, exc)

    return handle


def json_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Litestar's JSON error body, as JSON whatever the route answers when it succeeds: a refused PDF download was
    sent as `application/pdf` (or `application/octet-stream`) holding JSON."""
    response = create_exception_response(request, exc)
    if response.media_type != MediaType.JSON:
        response = Response(
            msgspec.json.decode(response.content) if isinstance(response.content, bytes) else response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            media_type=MediaType.JSON,
        )
    return response


def page_or_litestar(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Any other refusal (413, 415, 429, 503...): Litestar's answer on a page, JSON on the API."""
    return create_exception_response(request, exc) if is_page(request) else json_error(request, exc)


# Litestar's own exceptions by status (the API keeps Litestar's JSON body), for app.exception_handlers.
PAGE_ERROR_HANDLERS: dict[int | type[Exception], Handler] = {
    **{status: page_or_json(json_error) for status in PAGE_STATUSES},
    HTTPException: page_or_litestar,
}
