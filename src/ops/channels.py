"""Broadcast between processes: messages published on a named channel reach every subscriber of every process
(Redis pub/sub when OPS_REDIS_URL is set, else the one process's memory), and sets of members that expire
unless touched again (who is looking at what). Knows no domain and no web framework: services, jobs and pages
of any process share it through the runtime."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

PREFIX = "ops:"


class Channels(Protocol):
    async def publish(self, channel: str, data: str) -> None: ...
    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[AsyncIterator[str]]: ...
    async def touch(self, key: str, member: str, ttl_seconds: float) -> None: ...
    async def leave(self, key: str, member: str) -> None: ...
    async def members(self, key: str) -> list[str]: ...
    async def close(self) -> None: ...


class MemoryChannels:
    """One process: subscribers are queues on their own event loops (a test client's loop may differ from the
    publisher's), members a dict of expiry times."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]]] = {}
        self._members: dict[str, dict[str, float]] = {}

    async def publish(self, channel: str, data: str) -> None:
        for loop, queue in list(self._subscribers.get(channel, ())):
            if not loop.is_closed():
                loop.call_soon_threadsafe(queue.put_nowait, data)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[str]())
        self._subscribers.setdefault(channel, set()).add(entry)

        async def messages() -> AsyncIterator[str]:
            while True:
                yield await entry[1].get()

        try:
            yield messages()
        finally:
            self._subscribers[channel].discard(entry)

    def listening(self, channel: str) -> int:
        """How many subscribers the channel has now (a test waits for a page's stream to be listening)."""
        return len(self._subscribers.get(channel, ()))

    async def touch(self, key: str, member: str, ttl_seconds: float) -> None:
        self._members.setdefault(key, {})[member] = time.monotonic() + ttl_seconds

    async def leave(self, key: str, member: str) -> None:
        self._members.get(key, {}).pop(member, None)

    async def members(self, key: str) -> list[str]:
        now = time.monotonic()
        found = self._members.get(key, {})
        for member in [m for m, until in found.items() if until <= now]:
            del found[member]
        return sorted(found)

    async def close(self) -> None:
        self._subscribers.clear()


class RedisChannels:
    """Every process on one Redis: PUBLISH/SUBSCRIBE for messages, a sorted set scored by expiry time for
    members (the key itself expires too, so nothing outlives its last visitor). A client per event loop: a
    redis-py connection belongs to the loop that opened it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients: dict[asyncio.AbstractEventLoop, Redis] = {}

    def _redis(self) -> Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = Redis.from_url(self.url)
        return client

    async def publish(self, channel: str, data: str) -> None:
        await self._redis().publish(PREFIX + channel, data)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        pubsub = self._redis().pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(PREFIX + channel)

        async def messages() -> AsyncIterator[str]:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    data = message["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)

        try:
            yield messages()
        finally:
            with contextlib.suppress(RedisError, OSError, RuntimeError):
                await pubsub.unsubscribe()
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def touch(self, key: str, member: str, ttl_seconds: float) -> None:
        name = PREFIX + key
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.zadd(name, {member: time.time() + ttl_seconds})
            pipe.expire(name, max(1, int(ttl_seconds) + 1))
            await pipe.execute()

    async def leave(self, key: str, member: str) -> None:
        await self._redis().zrem(PREFIX + key, member)

    async def members(self, key: str) -> list[str]:
        name = PREFIX + key
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(name, "-inf", time.time())
            pipe.zrange(name, 0, -1)
            _, found = await pipe.execute()
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in found)

    async def close(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def make_channels(redis_url: str | None) -> Channels:
    return RedisChannels(redis_url) if redis_url else MemoryChannels()
