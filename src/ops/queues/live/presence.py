"""Who is looking at a ticket: each open page (a visit) is a member of the ticket's set, touched while the page
keeps its live stream open and dropped when it closes or falls silent for TTL seconds (a closed laptop). Shared
by every process through ops.channels (Redis with expiry, or the process's memory)."""

from __future__ import annotations

from ops.channels import Channels

TTL_SECONDS = 30.0
SEPARATOR = "\t"


def _key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


async def arrive(channels: Channels, *, ticket_id: int, visit: str, name: str, ttl: float = TTL_SECONDS) -> None:
    """Count the visit as looking at the ticket for `ttl` seconds more."""
    await channels.touch(_key(ticket_id), f"{visit}{SEPARATOR}{name}", ttl)


async def depart(channels: Channels, *, ticket_id: int, visit: str, name: str) -> None:
    await channels.leave(_key(ticket_id), f"{visit}{SEPARATOR}{name}")


async def viewers(channels: Channels, *, ticket_id: int, besides: str | None = None) -> list[str]:
    """The names looking at the ticket now, each once, sorted; `besides` (the reader) left out."""
    names = {member.partition(SEPARATOR)[2] for member in await channels.members(_key(ticket_id))}
    names.discard(besides or "")
    names.discard("")
    return sorted(names)
