"""Security headers of every answer: a Content-Security-Policy whose scripts are this site's files and the
inline scripts carrying the request's nonce, no framing by other sites, no MIME sniffing, HTTPS remembered; and
pages (HTML) never stored by the browser."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

NONCE_KEY = "ops_csp_nonce"


def content_security_policy(nonce: str) -> str:
    # Inline style attributes stay allowed (plotly and a few templates set them); scripts never: an injected
    # <script> or onclick= cannot run without the nonce, which changes with every answer.
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def security_headers(path: str, nonce: str, *, https: bool = False) -> dict[str, str]:
    # Over HTTPS (uvicorn's --proxy-headers behind a TLS proxy), browsers are told to never come back in clear.
    hsts = {"Strict-Transport-Security": "max-age=31536000"} if https else {}
    return {
        **hsts,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        # The OpenAPI viewer loads its scripts from a CDN: it gets no script policy, but is never framed either.
        "Content-Security-Policy": "frame-ancestors 'none'"
        if path.startswith("/schema")
        else content_security_policy(nonce),
    }


def csp_nonce(request: Request[Any, Any, Any]) -> str:
    """The nonce an inline <script> of this answer must carry."""
    value: str = request.scope.get("state", {}).get(NONCE_KEY, "")
    return value


class SecurityHeadersMiddleware:
    """Puts a fresh nonce in the scope for the templates, and the headers on the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})[NONCE_KEY] = nonce
        path, https = scope["path"], scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in security_headers(path, nonce, https=https).items():
                    headers[name] = value
                # A page is the reader's own and its forms carry one-use keys: never kept, so that the Back button
                # fetches it again (with fresh keys) instead of showing a copy whose forms were already sent.
                if headers.get("content-type", "").startswith("text/html") and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
