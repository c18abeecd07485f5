"""What a ticket's news means to one reader (pure): the news as sent between processes, who did it in words, and
which notice, if any, the reader's page shows for it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

# Actions that put a ticket in an agent's hands without the agent asking for it.
PUSHED = "assigned"
GIVEBACK_WARNING = "giveback_warning"
GIVEN_BACK = "given_back"
TRANSFERRED = "transfer"
LINKED = "linked_incident"
BREACHED = "sla_breach"
_ENCODER = msgspec.json.Encoder(enc_hook=str)
ACTOR = re.compile(r"^(?:agent|supervisor|manager|client|crm):(?P<name>.*?)(?: #(?P<agent>\d+))?$")


@dataclass(frozen=True)
class TicketNews:
    """One TicketEvent as every process hears it: the ticket's place (contract, queue, assignee) after it."""

    ticket_id: int
    action: str
    actor: str
    at: str
    contract_id: int
    queue_code: str
    protocol: str
    version: int
    assignee: int | None
    previous: int | None = None
    after: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        # msgspec encodes the dataclass as it is (asdict deep-copies it first): a bulk of 500 tickets is 500 news.
        return _ENCODER.encode(self).decode()

    @classmethod
    def from_json(cls, text: str) -> TicketNews:
        data = json.loads(text)
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


def actor_name(actor: str) -> str | None:
    """The person behind a history's actor (`agent:Ana Souza #3` is Ana Souza); None for the system."""
    found = ACTOR.match(actor)
    return found.group("name").strip() or None if found else None


def actor_agent(actor: str) -> int | None:
    found = ACTOR.match(actor)
    return int(found.group("agent")) if found and found.group("agent") else None


def concerns(news: TicketNews, *, contract_id: int | None, agent_id: int | None) -> bool:
    """Whether a reader of `contract_id` (None: every contract) hears of it at all."""
    return contract_id is None or news.contract_id == contract_id


def notice_for(news: TicketNews, *, agent_id: int | None) -> str | None:
    """The notice an agent's work page shows for the news, by its key: a ticket pushed to them, taken from them,
    warned of a give-back, linked to an incident or breached while theirs; None when it is only a count to
    update."""
    if agent_id is None:
        return None
    mine = news.assignee == agent_id
    if news.action == PUSHED and mine and news.after.get("how") != "pull":
        return "pushed"
    if news.action == GIVEBACK_WARNING and mine:
        return "giveback_warning"
    if news.action in (GIVEN_BACK, "released") and news.previous == agent_id and actor_agent(news.actor) != agent_id:
        return "given_back"
    if news.action == TRANSFERRED and news.previous == agent_id and actor_agent(news.actor) != agent_id:
        return "transferred"
    if news.action == LINKED and mine:
        return "linked"
    if news.action == BREACHED and mine:
        return "breached"
    return None


def changed_under(news: TicketNews, *, ticket_id: int, version: int, agent_id: int | None, actor: str) -> bool:
    """Whether the ticket a reader has open (as of `version`) changed by someone else's hand."""
    return news.ticket_id == ticket_id and news.version > version and news.actor != actor
