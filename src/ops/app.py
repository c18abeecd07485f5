"""The composition root: create_app(settings) wires routes, DI, auth, jobs and the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from advanced_alchemy.extensions.litestar import AsyncSessionConfig, SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from ops.auth import TokenAuthMiddleware
from ops.config import Settings, get_settings
from ops.contracts.controllers import ContractController
from ops.contracts.document import ContractFileError
from ops.db import import_models, make_engine, make_sessionmaker
from ops.errors import DomainError
from ops.health import live, ready
from ops.jobs.queue import ArqQueue, InProcessQueue, JobQueue, wait_for_flushes
from ops.queues import controllers as queue_controllers
from ops.queues import work_controllers
from ops.reports.controllers import ReportController
from ops.staffing.controllers import StaffingController
from ops.web import pages as web_pages
from ops.web import portal_pages, staffing_pages, work_pages
from ops.web.render import STATIC, template_config

log = logging.getLogger("ops")

# Each domain adds its controllers / page routes here.
ROUTE_HANDLERS: list[Any] = [
    live,
    ready,
    ContractController,
    *web_pages.ROUTES,
    StaffingController,
    *staffing_pages.ROUTES,
    *queue_controllers.ROUTES,
    *work_controllers.ROUTES,
    *work_pages.ROUTES,
    ReportController,
    *portal_pages.ROUTES,
]
PUBLIC_PATHS = ["^/health/", "^/schema", "^/static/", "^/login", "^/logout", "^/lang", "^/favicon"]


def unauthorized_handler(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    """The API answers 401; a page sends the browser to the sign-in form instead."""
    if request.url.path.startswith(("/api", "/schema", "/health")) or request.method != "GET":
        return Response({"status_code": 401, "detail": exc.detail}, status_code=401)
    return Redirect(f"/login?next={quote(request.url.path)}")


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.message}
    if exc.extra is not None:
        body["errors"] = exc.extra
    return Response(body, status_code=exc.status_code)


def contract_file_error_handler(_: Request[Any, Any, Any], exc: ContractFileError) -> Response[dict[str, Any]]:
    return Response(
        {"status_code": 422, "detail": str(exc), "errors": [{"field": exc.path, "problem": exc.problem}]},
        status_code=422,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    import_models()
    engine = make_engine(settings.database_url, pool=settings.database_pool)
    queue: JobQueue = ArqQueue(settings.redis_url) if settings.redis_url else InProcessQueue({})
    sessionmaker = make_sessionmaker(engine, queue)
    if isinstance(queue, InProcessQueue):
        queue.ctx.update(sessionmaker=sessionmaker, settings=settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        scheduler = None
        if settings.scheduler == "embedded":
            from ops.jobs.schedule import start_scheduler

            scheduler = await start_scheduler(sessionmaker, queue)
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await wait_for_flushes()
            await queue.close()
            await engine.dispose()

    db_config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_maker=sessionmaker,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit_include_redirects",  # a form answered with 303 commits too
        create_all=False,
    )
    return Litestar(
        route_handlers=[*ROUTE_HANDLERS, create_static_files_router(path="/static", directories=[STATIC])],
        template_config=template_config(),
        plugins=[SQLAlchemyPlugin(config=db_config)],
        middleware=[DefineMiddleware(TokenAuthMiddleware, exclude=PUBLIC_PATHS)],
        exception_handlers={
            DomainError: domain_error_handler,
            ContractFileError: contract_file_error_handler,
            401: unauthorized_handler,
        },
        state=State({"settings": settings, "sessionmaker": sessionmaker, "job_queue": queue}),
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="ops", version="0.1.0", path="/schema", render_plugins=[SwaggerRenderPlugin()]
        ),
        request_max_body_size=settings.max_body_bytes,
        debug=settings.debug,
    )
