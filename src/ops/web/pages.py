"""Sign in with a token (opening a page session) and out (ending it), the language switch, and the role-based
home page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from ops.auth import EVERYONE, Grant, Principal, requires, token_grant
from ops.authentication import cross_site, session_key
from ops.config import Settings
from ops.limits import Limiter, address
from ops.sessions import CSRF_FIELD, SESSION_COOKIE, close_session, csrf_matches, open_session
from ops.web.i18n import LANG_COOKIE, LANGUAGES
from ops.web.render import page

HOME_BY_ROLE = {"agent": "/work", "supervisor": "/supervisor", "manager": "/staffing", "client": "/portal"}
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def safe_next(value: str | None) -> str:
    # Only same-site paths: never let a crafted link bounce a signed-in user elsewhere.
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


@get("/login", operation_id="LoginPage", exclude_from_auth=True, include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template:
    return page(request, "login.html", next=safe_next(next), error=False)


@post("/login", operation_id="Login", exclude_from_auth=True, include_in_schema=False, status_code=303)
async def login(request: Request[Any, Any, State], data: Form) -> Response[Any]:
    """A good token opens a page session of its own: the cookie holds the session's random id, never the token."""
    state, next_page = request.app.state, safe_next(data.get("next"))
    refused = cross_site(request)
    if refused is not None:
        raise PermissionDeniedException(refused)
    settings: Settings = state.settings
    limiter: Limiter = state.limiter
    counter, limit = f"login:{address(request)}", settings.login_failures_per_minute
    wait = await limiter.blocked(counter, limit=limit)
    if wait is None:
        token = (data.get("token") or "").strip()
        async with state.sessionmaker.begin() as session:
            grant = await token_grant(session, token) if token else "missing token"
            if isinstance(grant, Grant) and grant.principal.role not in HOME_BY_ROLE:
                grant = "an integration's token opens no page"
            if isinstance(grant, Grant):
                idle = timedelta(hours=settings.session_idle_hours)
                secret = await open_session(session, token_id=grant.principal.token_id, idle=idle)
                # A sign-in over an older session of this browser ends that one: one browser, one session.
                if earlier := request.cookies.get(SESSION_COOKIE):
                    await close_session(session, earlier)
                    state.tokens.forget(session_key(earlier))
        if isinstance(grant, Grant):
            target = HOME_BY_ROLE[grant.principal.role] if next_page == "/" else next_page
            redirect = Redirect(target, status_code=303)
            # Secure whenever the sign-in came over HTTPS (behind a trusted proxy, uvicorn's proxy headers make the
            # scheme https), so that the session id never travels in clear afterwards; plain HTTP on localhost
            # still works.
            redirect.set_cookie(
                SESSION_COOKIE,
                secret,
                httponly=True,
                secure=request.url.scheme == "https",
                samesite="strict",
                path="/",
                max_age=int(idle.total_seconds()),
            )
            return redirect
        wait = await limiter.hit(counter, limit=limit)
    response = page(request, "login.html", next=next_page, error="too_many_sign_ins" if wait else "bad_token")
    response.status_code = 429 if wait else 401
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@post("/logout", operation_id="Logout", exclude_from_auth=True, include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, State], data: Form) -> Redirect:
    """Ends the page session on the server (not only the cookie): the same cookie opens nothing afterwards."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        refused = cross_site(request)
        if refused is not None or not csrf_matches(secret, data.get(CSRF_FIELD)):
            raise PermissionDeniedException(refused or "the form's CSRF token is missing or wrong: reload the page")
        async with request.app.state.sessionmaker.begin() as session:
            await close_session(session, secret)
        request.app.state.tokens.forget(session_key(secret))
    redirect = Redirect("/login", status_code=303)
    redirect.delete_cookie(SESSION_COOKIE, path="/")
    return redirect


@post("/lang", operation_id="SetLanguage", exclude_from_auth=True, include_in_schema=False, status_code=303)
async def set_language(request: Request[Any, Any, State], data: Form) -> Redirect:
    refused = cross_site(request)
    if refused is not None:
        raise PermissionDeniedException(refused)
    lang = data.get("lang", "en")
    redirect = Redirect(safe_next(data.get("next")), status_code=303)
    if lang in LANGUAGES:
        redirect.set_cookie(LANG_COOKIE, lang, samesite="lax", path="/", max_age=365 * 24 * 3600)
    return redirect


@get("/", operation_id="Home", include_in_schema=False, guards=[requires(*EVERYONE)])
async def home(request: Request[Principal, Any, Any]) -> Redirect:
    return Redirect(HOME_BY_ROLE[request.user.role])


ROUTES: list[Any] = [login_page, login, logout, set_language, home]
