"""Page form actions: each runs in a savepoint, so one that fails leaves nothing behind, whatever the page
then shows. The page is shown again at the failure's own status (4xx), which the request's commit handler
answers with a rollback too: no handler rolls back by hand."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def attempt(session: AsyncSession, action: Awaitable[T]) -> T:
    """Run `action` (a service call not yet awaited) in a savepoint. If it raises, its writes are undone
    before the exception reaches the handler, so the page it shows again reads the state before the action."""
    async with session.begin_nested():
        return await action
