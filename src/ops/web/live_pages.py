"""The live side of the back-office pages: `/work/events`, a server-sent event stream of the ticket news the
reader may see (each with the notice it means for them, in their language), and who else has a ticket open.

The stream reads the news every process publishes (ops.queues.live.news over ops.channels), so a push made by a
worker, a transfer made on another API process or an incident linked by the intake reaches this page alike. It
ends after `OPS_LIVE_STREAM_SECONDS` and the browser opens the next (EventSource reconnects by itself)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, requires
from ops.channels import Channels
from ops.config import Settings
from ops.contracts.models import Contract
from ops.errors import NotFoundError
from ops.l10n import N_, Formats
from ops.queues.live import presence
from ops.queues.live.news import CHANNEL
from ops.queues.live.notices import TicketNews, actor_name, concerns, notice_for
from ops.queues.models import Agent, Ticket
from ops.queues.work.actions import actor_of
from ops.web.i18n import locale_tag, pick_language, translate

log = logging.getLogger("ops.live")
PRESENCE_EVERY_SECONDS = 3.0
RETRY_MS = 2000

PHRASES: dict[str, str] = {
    "lv_pushed": N_("Ticket {protocol} was sent to you."),
    "lv_giveback_warning": N_(
        "Ticket {protocol} goes back to the pool at {time} unless you act on it (a note or a reply is enough)."
    ),
    "lv_given_back": N_("Ticket {protocol} went back to the pool."),
    "lv_transferred": N_("Ticket {protocol} was transferred to another queue."),
    "lv_linked": N_("Ticket {protocol} was linked to a mass-outage incident."),
    "lv_breached": N_("Ticket {protocol} missed a deadline."),
    "lv_changed": N_("This ticket changed while you had it open: {what}, {by}."),
    "lv_kept": N_("What you typed is kept: check the ticket and send it again."),
    "lv_stale": N_("Not saved: this ticket changed while you had it open ({what}, {by})."),
    "lv_not_done": N_("Not saved"),
    "lv_by_person": N_("by {who}"),
    "lv_by_system": N_("by the system"),
    "lv_by_someone": N_("by someone"),
    "lv_viewing": N_("Also viewing this ticket:"),
    "lv_not_working": N_("You are on a break or offline: set your status to available to take tickets."),
    "lv_at_capacity": N_(
        "You already hold {held} tickets, your limit. Finish one and the next will be offered to you: "
        "it comes by itself while you are available, or with Next ticket."
    ),
}


def say(lang: str, key: str, **values: Any) -> str:
    return translate(key, lang).format(**values)


def action_label(lang: str, action: str) -> str:
    """An action of the history in words (the work page's own labels first)."""
    for key in (f"wk_act_{action}", f"wk_ev_{action}"):
        text = translate(key, lang)
        if text != key:
            return text
    return action.replace("_", " ")


def who(lang: str, actor: str) -> str:
    """`by Ana Souza`, `by the system` in the reader's words."""
    name = actor_name(actor)
    if name:
        return say(lang, "lv_by_person", who=name)
    return translate("lv_by_system" if actor.startswith(("system:", "intake:")) else "lv_by_someone", lang)


def describe(news: TicketNews, *, lang: str, principal: Principal, tz: ZoneInfo) -> dict[str, Any]:
    """The news as the reader's page uses it: what to refresh, and the notice in the reader's words."""
    notice = notice_for(news, agent_id=principal.agent_id)
    text = None
    if notice is not None:
        moment = news.after.get("giveback_at")
        when = Formats(locale_tag(lang)).moment(datetime.fromisoformat(moment), tz) if isinstance(moment, str) else ""
        text = say(lang, f"lv_{notice}", protocol=news.protocol, time=when)
    return {
        "ticket": news.ticket_id,
        "protocol": news.protocol,
        "version": news.version,
        "action": news.action,
        "queue": news.queue_code,
        "mine": principal.agent_id is not None and news.assignee == principal.agent_id,
        "by_me": news.actor == actor_of(principal),
        "notice": notice,
        "text": text,
        "changed": say(lang, "lv_changed", what=action_label(lang, news.action), by=who(lang, news.actor))
        + " "
        + translate("lv_kept", lang),
    }


async def viewer_name(session: AsyncSession, principal: Principal) -> str:
    """The reader as others see them: the agent's name, else the sign-in's."""
    agent = await session.get(Agent, principal.agent_id) if principal.agent_id is not None else None
    return agent.name if agent is not None else principal.name.partition(":")[2] or principal.name


def channels_of(request: Request[Any, Any, State]) -> Channels:
    found: Channels = request.app.state["channels"]
    return found


async def others_viewing(request: Request[Principal, Any, State], session: AsyncSession, ticket_id: int) -> list[str]:
    """Count this page as looking at the ticket (until its stream takes over), and name the others."""
    channels, name = channels_of(request), await viewer_name(session, request.user)
    try:
        await presence.arrive(channels, ticket_id=ticket_id, visit="page", name=name)
        return await presence.viewers(channels, ticket_id=ticket_id, besides=name)
    except (RedisError, OSError) as exc:  # a courtesy: the ticket page works without it
        log.warning("presence unavailable for ticket %s: %s", ticket_id, exc)
        return []


@get(
    "/work/events",
    operation_id="WorkEvents",
    include_in_schema=False,
    guards=[requires("agent", "supervisor", "manager")],
)
async def work_events(
    request: Request[Principal, Any, State],
    db_session: NamedDependency[AsyncSession],
    ticket: FromQuery[int | None] = None,
) -> ServerSentEvent:
    """Ticket news for the reader's contract as server-sent events (`ticket`), and with `?ticket=ID` the names of
    the others looking at that ticket (`presence`, sent when they change)."""
    principal = request.user
    if ticket is not None:
        row = await db_session.get(Ticket, ticket) if 0 < ticket < 2**31 else None
        if row is None or not principal.may_see(row.contract_id):
            raise NotFoundError(f"no ticket {ticket}")
    contract = await db_session.get(Contract, principal.contract_id) if principal.contract_id is not None else None
    tz = ZoneInfo(contract.timezone) if contract is not None else ZoneInfo("UTC")
    name = await viewer_name(db_session, principal)
    lang = pick_language(dict(request.cookies), request.headers.get("accept-language"))
    settings: Settings = request.app.state["settings"]
    stream = _stream(channels_of(request), principal, ticket, name, lang, tz, settings.live_stream_seconds)
    return ServerSentEvent(stream, retry_duration=RETRY_MS, headers={"Cache-Control": "no-store"})


async def _stream(
    channels: Channels,
    principal: Principal,
    ticket_id: int | None,
    name: str,
    lang: str,
    tz: ZoneInfo,
    seconds: float,
) -> AsyncGenerator[ServerSentEventMessage, None]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    visit = secrets.token_hex(8)
    inbox: asyncio.Queue[str] = asyncio.Queue()
    async with channels.subscribe(CHANNEL) as messages:

        async def pump() -> None:
            async for message in messages:
                inbox.put_nowait(message)

        reader = loop.create_task(pump())
        try:
            # Subscribed: whatever is published from now on reaches this page.
            yield ServerSentEventMessage(event="ready", data="{}")
            shown: list[str] | None = None
            while True:
                if ticket_id is not None:
                    await presence.arrive(channels, ticket_id=ticket_id, visit=visit, name=name)
                    names = await presence.viewers(channels, ticket_id=ticket_id, besides=name)
                    if names != shown:
                        shown = names
                        yield ServerSentEventMessage(event="presence", data=json.dumps({"names": names}))
                left = deadline - loop.time()
                if left <= 0:
                    return
                try:
                    text = await asyncio.wait_for(inbox.get(), timeout=min(left, PRESENCE_EVERY_SECONDS))
                except TimeoutError:
                    continue
                news = TicketNews.from_json(text)
                if concerns(news, contract_id=principal.contract_id, agent_id=principal.agent_id):
                    data = describe(news, lang=lang, principal=principal, tz=tz)
                    yield ServerSentEventMessage(event="ticket", data=json.dumps(data))
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            if ticket_id is not None:
                with contextlib.suppress(Exception):
                    await presence.depart(channels, ticket_id=ticket_id, visit=visit, name=name)


ROUTES: list[Any] = [work_events]
