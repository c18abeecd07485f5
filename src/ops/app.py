"""The HTTP application: create_app(settings) puts the routes, auth, error mapping and lifespan on the runtime
that the composition root assembles."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from advanced_alchemy.extensions.litestar import AsyncSessionConfig, SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, ValidationException
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from ops.auth import TokenCache
from ops.authentication import TokenAuthMiddleware, csrf_guard
from ops.billing.disputes import controllers as dispute_controllers
from ops.billing.indices import controllers as indices_controllers
from ops.billing.invoices import controllers as invoice_controllers
from ops.billing.measurement import controllers as measurement_controllers
from ops.composition import SCHEDULE, assemble, schedule_sources
from ops.config import Settings, get_settings
from ops.contracts.controllers import ContractController
from ops.contracts.document import ContractFileError
from ops.errors import DomainError
from ops.faults import add_request_id, commit_at_response, server_error_handler
from ops.health import live, ready
from ops.http import EdgeRequest, at_the_edge, refused_values
from ops.idempotency.middleware import IdempotencyMiddleware
from ops.l10n import negotiate, say
from ops.limits import make_limiter
from ops.openapi import CompletingJson, CompletingSwagger
from ops.queues.assignment import controllers as assignment_controllers
from ops.queues.intake import controllers as intake_controllers
from ops.queues.live.news import wait_for_news
from ops.queues.work import controllers as work_controllers
from ops.reports.controllers import ReportController
from ops.reports.wallboard import controllers as wallboard_controllers
from ops.runtime import quiet_http_client_logs
from ops.staffing.planning.controllers import StaffingController
from ops.web import (
    billing_pages,
    live_pages,
    portal_billing,
    portal_pages,
    staffing_pages,
    supervisor_pages,
    wallboard_pages,
    work_pages,
)
from ops.web import pages as web_pages
from ops.web.errors import PAGE_ERROR_HANDLERS, json_error, page_or_json
from ops.web.headers import SecurityHeadersMiddleware
from ops.web.render import STATIC, template_config

log = logging.getLogger("ops")

# Every domain's controllers and page routes.
ROUTE_HANDLERS: list[Any] = [
    live,
    ready,
    ContractController,
    *web_pages.ROUTES,
    StaffingController,
    *staffing_pages.ROUTES,
    *intake_controllers.ROUTES,
    *assignment_controllers.ROUTES,
    *work_controllers.ROUTES,
    *work_pages.ROUTES,
    *live_pages.ROUTES,
    *supervisor_pages.ROUTES,
    ReportController,
    *measurement_controllers.ROUTES,
    *invoice_controllers.ROUTES,
    *dispute_controllers.ROUTES,
    *portal_pages.ROUTES,
    *indices_controllers.ROUTES,
    *billing_pages.ROUTES,
    *portal_billing.ROUTES,
    *wallboard_controllers.ROUTES,
    *wallboard_pages.ROUTES,
]
PUBLIC_PATHS = ["^/health/", "^/schema", "^/static/", "^/login", "^/logout", "^/lang", "^/favicon"]


def unauthorized_handler(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    """The API answers 401; a page sends the browser to the sign-in form instead."""
    if request.url.path.startswith(("/api", "/schema", "/health")) or request.method != "GET":
        return Response({"status_code": 401, "detail": exc.detail}, status_code=401)
    # The page's query comes along (/portal?month=2026-02), so signing in lands where the link pointed.
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target, safe='/')}")


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.message}
    if exc.said is not None:
        # `detail` stays the English text clients match on; `message` is it in the caller's Accept-Language.
        body["message"] = say(exc.said, negotiate(request.headers.get("accept-language")))
    if exc.extra is not None:
        body["errors"] = exc.extra
    return Response(body, status_code=exc.status_code)


def contract_file_error_handler(_: Request[Any, Any, Any], exc: ContractFileError) -> Response[dict[str, Any]]:
    return Response(
        # A problem of the whole document (not a mapping) names the body it came in.
        {"status_code": 422, "detail": str(exc), "errors": [{"field": exc.path or "body", "problem": exc.problem}]},
        status_code=422,
    )


def validation_error_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """Bad input Litestar's decoder found (a value of the wrong kind, an impossible date, a field missing or unknown,
    a breach of ops.bounds) is the 422 naming each field as the client sent it, like every service's refusal.
    What names nothing the client sent stays Litestar's 400."""
    problems = refused_values(request, exc)
    if problems:
        errors = [{"field": f, "problem": p} for f, p in problems]
        detail = "; ".join(f"{f}: {p}" for f, p in problems)
        return Response({"status_code": 422, "detail": detail, "errors": errors}, status_code=422)
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
    if exc.extra:
        body["extra"] = exc.extra
    return Response(body, status_code=exc.status_code)


def recursion_error_handler(request: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    """A body nested thousands deep exhausts msgspec's decoder before any bound can count its depth: it is the
    sender's malformed JSON (400), never a 500. Logged, in case one ever comes from a loop of our own."""
    log.warning("%s %s: recursion limit reached (%s)", request.method, request.url.path, exc)
    problem = "JSON nested too deeply"
    return Response(
        {"status_code": 400, "detail": f"body: {problem}", "errors": [{"field": "body", "problem": problem}]},
        status_code=400,
    )


def bad_request_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, ValidationException):
        return validation_error_handler(request, exc)
    return json_error(request, exc)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    quiet_http_client_logs()
    runtime = assemble(settings)
    limiter = make_limiter(settings.redis_url)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        schedule = None
        if settings.scheduler == "embedded":  # each API process runs it; the lease's holder alone fires it
            from ops.jobs.schedule import start_scheduler

            schedule = await start_scheduler(
                runtime.sessionmaker, runtime.queue, fixed=SCHEDULE, sources=schedule_sources()
            )
        # What start-up built (routes, models, metadata, libraries) lives as long as the app: kept out of the cyclic
        # collector's reach while it serves, so that the collections a burst of requests triggers do not walk it
        # again and again (a bulk delivery spent ~15% of its CPU there); handed back at shutdown.
        froze = gc.get_freeze_count() == 0
        if froze:
            gc.freeze()
        try:
            yield
        finally:
            if froze:
                gc.unfreeze()
            if schedule is not None:
                await schedule.stop()
            await limiter.close()
            await wait_for_news()
            await runtime.close()

    db_config = SQLAlchemyAsyncConfig(
        engine_instance=runtime.engine,
        session_maker=runtime.sessionmaker,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        create_all=False,
    )
    # 2xx and 3xx commit (a form answered with 303 too); a failed commit answers 503 or 500, never the 2xx. Set
    # after construction: the config makes its session's scope key unique per app.
    db_config.before_send_handler = commit_at_response(db_config.session_scope_key)
    return Litestar(
        route_handlers=[*ROUTE_HANDLERS, create_static_files_router(path="/static", directories=[STATIC])],
        template_config=template_config(),
        plugins=[SQLAlchemyPlugin(config=db_config)],
        middleware=[
            SecurityHeadersMiddleware,
            DefineMiddleware(TokenAuthMiddleware, exclude=PUBLIC_PATHS),
            # After auth (a key is the caller's), before the handler; stores in the session the commit commits.
            DefineMiddleware(IdempotencyMiddleware, session_scope_key=db_config.session_scope_key),
        ],
        guards=[csrf_guard],
        exception_handlers={
            DomainError: page_or_json(domain_error_handler),  # a page shows it as HTML (ops.web.errors)
            ContractFileError: contract_file_error_handler,
            ValidationException: validation_error_handler,
            RecursionError: recursion_error_handler,
            401: unauthorized_handler,
            500: server_error_handler,
            **PAGE_ERROR_HANDLERS,  # 400, 403, 404, 405, 409, 422: HTML on pages, Litestar's JSON on the API
            # Litestar finds a handler by status before class: a value its decoder refused is a 400 until
            # validation_error_handler makes it the 422 naming its field.
            400: page_or_json(bad_request_handler),
        },
        before_send=[add_request_id],
        state=State(
            {
                "settings": settings,
                "sessionmaker": runtime.sessionmaker,
                "job_queue": runtime.queue,
                "tokens": TokenCache(),
                "limiter": limiter,
                "channels": runtime.channels,
            }
        ),
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="ops",
            version="0.1.0",
            path="/schema",
            render_plugins=[CompletingSwagger(), CompletingJson()],  # the document completed (ops.openapi)
        ),
        request_max_body_size=settings.max_body_bytes,
        before_request=at_the_edge,
        request_class=EdgeRequest,  # a body that is not JSON: a 400 saying why (ops.http.EdgeRequest)
        debug=settings.debug,
    )
