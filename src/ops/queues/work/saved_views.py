"""Saved views: a user's named ticket filters (the filter's canonical query), kept per user and contract."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.errors import NotFoundError, Said
from ops.l10n import N_
from ops.queues.assignment.refusals import Refusal
from ops.queues.models import SavedView

MAX_VIEWS = 50
MAX_NAME = 100


def owner_of(principal: Principal) -> str:
    """Who a view belongs to: the person (role and name) within the contract, so a new token keeps the views."""
    name = principal.name.removeprefix(f"{principal.role}:")
    return f"{principal.role}:{name}@{principal.contract_id if principal.contract_id is not None else '*'}"


async def list_views(session: AsyncSession, *, principal: Principal) -> list[SavedView]:
    query = select(SavedView).where(SavedView.owner == owner_of(principal)).order_by(SavedView.name)
    return list((await session.execute(query)).scalars())


async def save_view(session: AsyncSession, *, principal: Principal, name: str, query: str) -> SavedView:
    """Keep the filter `query` under `name` (a view of the same name is replaced)."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise Refusal(N_("Name the view (1 to 100 characters)."), status=422, field="name")
    if len(query) > 1000:
        raise Refusal(N_("This filter is too long to keep."), status=422, field="query")
    views = {v.name: v for v in await list_views(session, principal=principal)}
    view = views.get(name)
    if view is None:
        if len(views) >= MAX_VIEWS:
            raise Refusal(N_("You keep {count} views already: delete one first."), field="name", count=MAX_VIEWS)
        view = SavedView(owner=owner_of(principal), contract_id=principal.contract_id, name=name, query=query)
        session.add(view)
    else:
        view.query = query
    await session.flush()
    return view


async def delete_view(session: AsyncSession, *, principal: Principal, view_id: int) -> None:
    view = await session.get(SavedView, view_id)
    if view is None or view.owner != owner_of(principal):
        raise NotFoundError(Said(N_("no view {view}"), {"view": str(view_id)}))
    await session.delete(view)
    await session.flush()
