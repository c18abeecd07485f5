"""Mass-outage detection: a burst of technical tickets from one area becomes one incident.

On each arrival the service layer calls, in this order:
1. `find_incident(open_incidents, signal)`: an active incident of the area takes the ticket;
2. otherwise `detect(recent, signal, threshold=N, window_minutes=W)` with the area's recent
   unlinked tickets: a non-empty answer is the tickets to group under a new incident, opened at
   the oldest grouped ticket's `created_at`, with `forecast_end(...)`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ops.queues.intake.classification import normalize_text

_NOT_WORD = re.compile(r"[\W_]+")


def normalize_area(area: str | None) -> str:
    """One spelling per area: "São Paulo - SP", " sao  paulo/sp " and "SAO PAULO SP" are one area."""
    if not area:
        return ""
    return _NOT_WORD.sub(" ", normalize_text(area)).strip()


@dataclass(frozen=True, slots=True)
class TicketSignal:
    """What outage detection needs of a ticket. `linked`: already in an incident, so it never counts
    towards a new one."""

    ticket_id: int
    area: str | None
    created_at: datetime
    technical: bool
    linked: bool = False


@dataclass(frozen=True, slots=True)
class OutageIncident:
    """An incident as detection sees it; `ends_at` None means open until someone resolves it."""

    incident_id: int
    area: str
    opened_at: datetime
    ends_at: datetime | None = None


def _counts(signal: TicketSignal, area: str) -> bool:
    return signal.technical and not signal.linked and normalize_area(signal.area) == area


def detect(recent: Sequence[TicketSignal], new: TicketSignal, *, threshold: int, window_minutes: float) -> list[int]:
    """The ids of the tickets to group under a new incident, or [] when `new` makes no outage.

    An outage is `threshold` technical, unlinked tickets of `new`'s area created within
    `window_minutes` of each other (both ends inclusive), `new` among them. The answer is the
    earliest such window, oldest ticket first; arrivals in time order make that
    `[new - W, new]`, and replays of old tickets in any order give the same grouping.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if window_minutes < 0:
        raise ValueError("window_minutes must not be negative")
    area = normalize_area(new.area)
    if not area or not new.technical or new.linked:
        return []
    window = timedelta(minutes=window_minutes)
    nearby = [
        s
        for s in recent
        if s.ticket_id != new.ticket_id and _counts(s, area) and abs(s.created_at - new.created_at) <= window
    ]
    burst = sorted([*nearby, new], key=lambda s: (s.created_at, s.ticket_id))
    # Every window holding `new` starts at some ticket no later than it: scan those starts in order.
    end = 0
    for start, first in enumerate(burst):
        if first.created_at > new.created_at:
            break
        while end < len(burst) and burst[end].created_at - first.created_at <= window:
            end += 1
        if end - start >= threshold:
            return [s.ticket_id for s in burst[start:end]]
    return []


def find_incident(incidents: Sequence[OutageIncident], signal: TicketSignal) -> int | None:
    """The incident a technical ticket belongs to: same area, created while the incident is active.

    The latest-opened wins when several overlap. Non-technical tickets of the area stay out: a
    billing question during an outage is not part of it.
    """
    area = normalize_area(signal.area)
    if not area or not signal.technical:
        return None
    active = [
        i
        for i in incidents
        if normalize_area(i.area) == area
        and i.opened_at <= signal.created_at
        and (i.ends_at is None or signal.created_at < i.ends_at)
    ]
    if not active:
        return None
    return max(active, key=lambda i: (i.opened_at, i.incident_id)).incident_id


def forecast_end(opened_at: datetime, forecast_hours: float) -> datetime:
    """The forecast end the customer is told; operations may extend it later."""
    return opened_at + timedelta(hours=forecast_hours)
