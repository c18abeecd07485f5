"""When a ticket may be resolved: the reason's procedure ticked and the customer answered, or the agent's
reason for resolving anyway, when the contract allows one. Pure: the checklist rows and the history's actions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ops.errors import InvalidInputError, Said


def N_(message: str) -> str:
    """Marks a msgid for the catalogue (as ops.l10n.N_, which a pure core does not import)."""
    return message


# The contract's `work.resolve_override`, when it says nothing: an agent may resolve anyway by giving a reason,
# which the history records (a ticket resolved on the phone, a duplicate), since refusing outright would leave
# such tickets open against the SLA.
OVERRIDE_DEFAULT = True
# The actions that answer the customer: a reply, or a customer-facing message sent with a resolve.
ANSWERS = frozenset({"reply"})


@dataclass(frozen=True)
class Blockers:
    """What stands in the way of resolving: the steps not ticked, and whether no reply was sent."""

    steps_open: tuple[str, ...]
    steps_total: int
    no_reply: bool

    def __bool__(self) -> bool:
        return bool(self.steps_open) or self.no_reply


def blockers(checklist: Sequence[Mapping[str, Any]], actions: Iterable[str]) -> Blockers:
    """Every step of the reason's procedure is required; a reply must have been sent at least once."""
    steps_open = tuple(str(r["step"]) for r in checklist if not r.get("done"))
    return Blockers(steps_open, len(checklist), not any(a in ANSWERS for a in actions))


def override_allowed(work_section: Mapping[str, Any] | None) -> bool:
    """Whether the contract lets an agent resolve past the blockers with a reason (`work.resolve_override`)."""
    value = (work_section or {}).get("resolve_override", OVERRIDE_DEFAULT)
    return bool(value)


class ResolveRefused(InvalidInputError):
    """A resolve with procedure steps unticked or no reply sent, and no (allowed) reason to resolve anyway."""


def refusal(blocked: Blockers, *, allowed: bool, override_given: bool) -> ResolveRefused:
    """The 422 of a refused resolve: what is missing, each named as a field, and what the agent can do."""
    problems: list[dict[str, Any]] = []
    if blocked.steps_open:
        problems.append(
            {"field": "checklist", "problem": f"{len(blocked.steps_open)} of {blocked.steps_total} steps not ticked"}
        )
    if blocked.no_reply:
        problems.append({"field": "reply", "problem": "no reply was sent to the customer"})
    if not allowed:
        if override_given:
            problems.append({"field": "override", "problem": "the contract does not allow resolving anyway"})
        tail = Said(N_("The contract does not allow resolving anyway."))
    else:
        problems.append({"field": "override", "problem": "give the reason to resolve anyway"})
        # Only what is still missing: "reply" to an agent who replied already reads as if the reply were lost.
        if blocked.steps_open and blocked.no_reply:
            tail = Said(N_("Tick them and reply, or give the reason to resolve anyway."))
        elif blocked.steps_open:
            tail = Said(N_("Tick them, or give the reason to resolve anyway."))
        else:
            tail = Said(N_("Reply to the customer, or give the reason to resolve anyway."))
    if blocked.steps_open and blocked.no_reply:
        said = Said(
            N_("Not resolved: {open} of {total} procedure steps are not ticked and no reply was sent. {tail}"),
            {"open": len(blocked.steps_open), "total": blocked.steps_total, "tail": tail},
        )
    elif blocked.steps_open:
        said = Said(
            N_("Not resolved: {open} of {total} procedure steps are not ticked. {tail}"),
            {"open": len(blocked.steps_open), "total": blocked.steps_total, "tail": tail},
        )
    else:
        said = Said(N_("Not resolved: no reply was sent to the customer. {tail}"), {"tail": tail})
    return ResolveRefused(said, extra=problems)
