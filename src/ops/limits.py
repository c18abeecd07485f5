"""Rate limits: a fixed-window counter per key (an address and what it tried), shared through Redis when it is
configured so that several server processes count as one, kept in the process otherwise.

Litestar's RateLimitMiddleware counts every request against one limit for the whole app and keeps each
client's history as a read-then-write list (not atomic between processes); here only what a limit is about
counts (a failed sign-in, a wrong token, a webhook call), with an atomic INCR on Redis."""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Protocol

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler
from redis.exceptions import RedisError

log = logging.getLogger("ops.limits")

WINDOW_SECONDS = 60


class Limiter(Protocol):
    async def hit(self, key: str, *, limit: int, window: int = WINDOW_SECONDS) -> int | None:
        """Count one event; the seconds to wait when this one is over the limit, else None."""

    async def blocked(self, key: str, *, limit: int, window: int = WINDOW_SECONDS) -> int | None:
        """Without counting: the seconds to wait when the key is already at its limit, else None."""

    async def close(self) -> None: ...


class MemoryLimiter:
    """One process's counters (no Redis configured)."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self.windows: dict[str, tuple[float, int]] = {}

    def _current(self, key: str, window: int) -> tuple[float, int]:
        now = time.monotonic()
        start, count = self.windows.get(key, (now, 0))
        return (now, 0) if now - start >= window else (start, count)

    def _wait(self, start: float, window: int) -> int:
        return max(1, math.ceil(start + window - time.monotonic()))

    async def hit(self, key: str, *, limit: int, window: int = WINDOW_SECONDS) -> int | None:
        start, count = self._current(key, window)
        if len(self.windows) >= self.size and key not in self.windows:
            self.windows.clear()  # a flood of addresses: start over rather than grow without bound
        self.windows[key] = (start, count + 1)
        return self._wait(start, window) if count + 1 > limit else None

    async def blocked(self, key: str, *, limit: int, window: int = WINDOW_SECONDS) -> int | None:
        start, count = self._current(key, window)
        return self._wait(start, window) if count >= limit else None

    async def close(self) -> None:
        self.windows.clear()


class RedisLimiter:
    """Counters in Redis: INCR and EXPIRE in one transaction, so every process sees the same count. While Redis
    cannot be reached the process counts alone (as without Redis): a limit never stops intake or sign-in."""

    def __init__(self, url: str, prefix: str = "ops:limit:") -> None:
        from redis.asyncio import Redis

        self.redis: Any = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.prefix = prefix
        self.fallback = MemoryLimiter()
        self.warned = 0.0

    def _unreachable(self, exc: Exception) -> None:
        if time.monotonic() - self.warned > 60:  # once a minute, not once a request
            self.warned = time.monotonic()
            log.warning("rate limits counted in this process only: Redis unreachable (%s)", type(exc).__name__)

    async def hit(self, key: str, *, limit: int, window: int = WINDOW_SECONDS) -> int | None:
        name = self.prefix + key
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window, nx=True)
                pipe.ttl(name)
                count, _, ttl = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._unreachable(exc)
            return await self.fallback.hit(key, limit=limit, window=window)
        return max(1, int(ttl)) if int(count) > limit else None

    async def blocked(self, key: str, *, limit: int, window: int = WINDOW_SECONDS) -> int | None:
        name = self.prefix + key
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.get(name)
                pipe.ttl(name)
                count, ttl = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._unreachable(exc)
            return await self.fallback.blocked(key, limit=limit, window=window)
        return max(1, int(ttl)) if count is not None and int(count) >= limit else None

    async def close(self) -> None:
        await self.redis.aclose()


def make_limiter(redis_url: str | None) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()


def address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address (behind a trusted proxy, uvicorn's --proxy-headers makes it the real one)."""
    return connection.client.host if connection.client else "unknown"


def too_many(wait: int, what: str) -> TooManyRequestsException:
    return TooManyRequestsException(
        detail=f"too many {what} from this address: retry after {wait} s", headers={"Retry-After": str(wait)}
    )


def limited(name: str, setting: str) -> Any:
    """A guard counting every call of a route per address against the settings' `setting` per minute."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        limiter: Limiter = connection.app.state.limiter
        limit: int = getattr(connection.app.state.settings, setting)
        wait = await limiter.hit(f"{name}:{address(connection)}", limit=limit)
        if wait is not None:
            raise too_many(wait, f"{name} calls")

    return guard
