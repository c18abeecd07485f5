"""Sign in and out with a token, the language switch, and the role-based home page."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from ops.auth import COOKIE_NAME, Principal, principal_for
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
    token = (data.get("token") or "").strip()
    async with request.app.state.sessionmaker() as session:
        principal = await principal_for(session, token) if token else None
    if principal is None:
        response = page(request, "login.html", next=safe_next(data.get("next")), error=True)
        response.status_code = 401
        return response
    target = safe_next(data.get("next"))
    if target == "/":
        target = HOME_BY_ROLE[principal.role]
    redirect = Redirect(target, status_code=303)
    # Secure whenever the sign-in came over HTTPS (behind a trusted proxy, uvicorn's proxy headers make the
    # scheme https), so that the token never travels in clear afterwards; plain HTTP on localhost still works.
    redirect.set_cookie(
        COOKIE_NAME,
        token,
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
        path="/",
        max_age=12 * 3600,
    )
    return redirect


@post("/logout", operation_id="Logout", exclude_from_auth=True, include_in_schema=False, status_code=303)
async def logout() -> Redirect:
    redirect = Redirect("/login", status_code=303)
    redirect.delete_cookie(COOKIE_NAME, path="/")
    return redirect


@post("/lang", operation_id="SetLanguage", exclude_from_auth=True, include_in_schema=False, status_code=303)
async def set_language(data: Form) -> Redirect:
    lang = data.get("lang", "en")
    redirect = Redirect(safe_next(data.get("next")), status_code=303)
    if lang in LANGUAGES:
        redirect.set_cookie(LANG_COOKIE, lang, samesite="lax", path="/", max_age=365 * 24 * 3600)
    return redirect


@get("/", operation_id="Home", include_in_schema=False)
async def home(request: Request[Principal, Any, Any]) -> Redirect:
    return Redirect(HOME_BY_ROLE[request.user.role])


ROUTES: list[Any] = [login_page, login, logout, set_language, home]
