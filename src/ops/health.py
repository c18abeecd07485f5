"""Liveness and readiness probes; outside authentication."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text


@get("/health/live", operation_id="Live", exclude_from_auth=True, tags=["health"])
async def live() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", operation_id="Ready", exclude_from_auth=True, tags=["health"])
async def ready(state: State) -> Response[dict[str, Any]]:
    checks: dict[str, str] = {}
    try:
        async with state.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # a probe reports, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    if state.settings.redis_url:
        try:
            from redis.asyncio import Redis

            client = Redis.from_url(state.settings.redis_url, socket_connect_timeout=2)
            try:
                await client.ping()
            finally:
                await client.aclose()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return Response({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)
