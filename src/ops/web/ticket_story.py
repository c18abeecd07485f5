"""A ticket's story as the ticket page tells it: the conversation thread (the customer's messages, the replies,
the notes) apart from the audit history, whose events read as sentences in the reader's language ("Maria
assigned the ticket to João at 06/12 14:02"), never field names, ISO stamps or floats. Plain functions over the
events: each sentence is a Said (an English msgid and its values) that `ops.l10n.say` words in a language."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ops.errors import Said
from ops.l10n import N_

SYSTEM = N_("The system")
CRM = N_("The CRM")
SOMEONE = N_("someone")
DEADLINES = {
    "first_response": N_("first response"),
    "next_response": N_("next response"),
    "resolution": N_("resolution"),
}
# action -> its sentence; {who} acts, {at} is the moment in the contract's zone.
SENTENCES: dict[str, str] = {
    "created": N_("The ticket arrived at {at}"),
    "assigned": N_("{who} assigned the ticket to {agent} at {at}"),
    "pulled": N_("{agent} took the ticket as their next one at {at}"),
    "take": N_("{who} took the ticket at {at}"),
    "take_over": N_("{who} took the ticket over from {agent} at {at}"),
    "given_back": N_("The ticket went back to the queue from {agent} at {at}"),
    "released": N_("{agent} released the ticket at {at}"),
    "linked_incident": N_("The ticket was linked to a mass outage at {at}"),
    "resolved": N_("The ticket was resolved when its mass outage ended at {at}"),
    "sla_breach": N_("The {deadline} deadline was breached at {at}"),
    "sla_warning": N_("{minutes} business minutes were left on the {deadline} deadline at {at}"),
    "reply": N_("{who} replied to the customer at {at}"),
    "note": N_("{who} wrote an internal note at {at}"),
    "pend": N_("{who} put the ticket on hold, waiting on the customer, at {at}"),
    "resume": N_("{who} resumed the ticket at {at}"),
    "customer_message": N_("{who} logged a message from the customer at {at}"),
    "tick": N_("{who} ticked the step “{step}” at {at}"),
    "untick": N_("{who} unticked the step “{step}” at {at}"),
    "fields": N_("{who} filled in {changes} at {at}"),
    "transfer": N_("{who} transferred the ticket from {from_queue} to {to_queue} at {at}"),
    "escalate": N_("{who} escalated the ticket to supervision at {at}"),
    "resolve": N_("{who} resolved the ticket at {at}"),
    "resolve_override": N_("{who} resolved the ticket anyway at {at}, giving the reason: {reason}"),
    "reopen": N_("{who} reopened the ticket at {at}"),
    "close": N_("{who} closed the ticket at {at}"),
    "log_time": N_("{who} logged {minutes} minutes at {at}"),
    "other": N_("{who}: {action} at {at}"),
}
STEPS_OPEN = N_("Steps not ticked: {steps}")
NO_REPLY = N_("No reply had been sent to the customer.")
CLEARED = N_("{field} cleared")

# Thread entries: who wrote it, shown apart from the history.
CUSTOMER, REPLY, NOTE = "customer", "reply", "note"


class Event(Protocol):
    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    note: str | None


@dataclass(frozen=True)
class Names:
    """What the sentences name instead of ids and codes: agents by id, queues and fields by code."""

    agents: Mapping[int, str] = field(default_factory=dict)
    queues: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    """One event of the history: its sentence, and what it carried (a note, the steps left open)."""

    at: datetime
    action: str
    said: Said
    details: tuple[Said, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Entry:
    """One message of the conversation: the customer's, a reply, or an internal note."""

    at: datetime
    kind: str
    who: Said | str
    text: str


def who(actor: str, names: Names) -> Said | str:
    """The person (or the system) behind an event's actor ("agent:Ana #3" is Ana; "agent:3" the agent 3's name)."""
    role, _, rest = actor.partition(":")
    if role in ("system", "intake") or actor == "imported":
        return Said(CRM) if actor == "imported" or role == "intake" else Said(SYSTEM)
    name = rest.rpartition(" #")[0] if " #" in rest else rest
    if name.isdigit():
        return names.agents.get(int(name)) or Said(SOMEONE)
    return name or Said(SOMEONE)


def _agent(value: Any, names: Names) -> Said | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return names.agents.get(value) or Said(SOMEONE)
    return Said(SOMEONE)


def sentence(event: Event, names: Names, moment: Callable[[datetime], str], shown: Callable[[Any], str]) -> Line:
    """The event as a sentence; `moment` words a time in the reader's zone and language, `shown` a field's value."""
    a, before, after = event.action, event.before or {}, event.after or {}
    base: dict[str, Any] = {"who": who(event.actor, names), "at": moment(event.at)}
    details: list[Said] = []
    key = a
    if a == "take" and before.get("assigned_agent_id") not in (None, after.get("assigned_agent_id")):
        key, base["agent"] = "take_over", _agent(before.get("assigned_agent_id"), names)
    elif a == "assigned":
        base["agent"] = _agent(after.get("assigned_agent_id"), names)
        if after.get("how") == "pull":  # the agent's own Next ticket, not someone's assignment
            key = "pulled"
    elif a in ("given_back", "released"):
        base["agent"] = _agent(before.get("assigned_agent_id"), names)
    elif a in ("sla_breach", "sla_warning"):
        kind = str(after.get("kind"))
        base["deadline"] = Said(DEADLINES[kind]) if kind in DEADLINES else kind
        base["minutes"] = round(float(after.get("minutes_left") or 0))
    elif a == "tick":
        key = "tick" if after.get("done") else "untick"
        base["step"] = str(after.get("text") or "")
    elif a == "fields":
        parts = []
        for code in sorted(set(before) | set(after)):
            label = names.fields.get(code, code)
            value = after.get(code)
            parts.append(f"{label}: {shown(value)}" if value not in (None, "") else Said(CLEARED, {"field": label}))
        base["changes"] = _joined(parts)
    elif a == "transfer":
        base["from_queue"] = names.queues.get(str(before.get("queue")), str(before.get("queue")))
        base["to_queue"] = names.queues.get(str(after.get("queue")), str(after.get("queue")))
    elif a == "log_time":
        base["minutes"] = shown(after.get("minutes"))
    elif a == "resolve" and after.get("override"):
        key, base["reason"] = "resolve_override", str(after["override"])
        if after.get("steps_not_ticked"):
            details.append(Said(STEPS_OPEN, {"steps": "; ".join(map(str, after["steps_not_ticked"]))}))
        if after.get("no_reply"):
            details.append(Said(NO_REPLY))
    elif a not in SENTENCES:
        key, base["action"] = "other", a.replace("_", " ")
    # The thread shows the texts of replies, notes and customer messages; the history only says they happened.
    note = None if a in THREAD_ACTIONS else event.note
    return Line(event.at, a, Said(SENTENCES[key], base), tuple(details), note)


def _joined(parts: Sequence[str | Said]) -> Said:
    """Parts of a sentence (plain text or Saids) joined by "; ", each worded in its turn."""
    slots = {f"p{i}": p for i, p in enumerate(parts)}
    return Said("; ".join("{" + k + "}" for k in slots), slots)


THREAD_ACTIONS = frozenset({"reply", "note", "customer_message", "pend"})


def thread(body: str, created_at: datetime, customer: str, events: Sequence[Event], names: Names) -> list[Entry]:
    """The conversation in order: the customer's first message (the ticket's body), what they wrote later, the
    replies, and the notes (a note typed with a pend included)."""
    entries = [Entry(created_at, CUSTOMER, customer or Said(SOMEONE), body)] if body.strip() else []
    for e in events:
        if not e.note or e.action not in THREAD_ACTIONS:
            continue
        if e.action == "customer_message":
            entries.append(Entry(e.at, CUSTOMER, customer or Said(SOMEONE), e.note))
        else:
            entries.append(Entry(e.at, REPLY if e.action == "reply" else NOTE, who(e.actor, names), e.note))
    return sorted(entries, key=lambda x: x.at)
