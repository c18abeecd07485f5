"""Canned replies: the contract's ready answers per reason, their placeholders filled from the ticket, and the
check that refuses a reply still holding a placeholder ({customer_name}) the agent did not resolve."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Placeholder -> where its value comes from on the ticket (the customer's name, the protocol, a reason field).
PLACEHOLDERS = ("customer_name", "protocol", "recalculation_number")
# Any {word} left in a text to send is a placeholder not resolved, a known one or a misspelt one.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_TITLE, MAX_TEXT = 120, 4000


@dataclass(frozen=True)
class CannedReply:
    reason: str
    title: str
    text: str


def placeholders_in(text: str) -> list[str]:
    """The placeholders written in a text, in order, each once."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(text)))


def parse_canned_replies(
    section: object, known_reasons: set[str], *, at: str = "work.canned_replies"
) -> list[CannedReply]:
    """`{reason code: [{title, text}, ...]}` checked: known reasons, a title and a text, only known placeholders.
    Raises ValueError naming the field ("work.canned_replies.billing[0].text: unknown placeholder {nome}...")."""
    if section is None:
        return []
    if not isinstance(section, Mapping):
        raise ValueError(f"{at}: expected a mapping of reason code to a list of replies")
    out: list[CannedReply] = []
    for reason, replies in section.items():
        where = f"{at}.{reason}"
        if reason not in known_reasons:
            raise ValueError(f"{where}: unknown reason {reason!r} (no queue of the contract has it)")
        if not isinstance(replies, list) or not replies:
            raise ValueError(f"{where}: expected a list of replies, each with a title and a text")
        for i, reply in enumerate(replies):
            if not isinstance(reply, Mapping):
                raise ValueError(f"{where}[{i}]: expected a title and a text")
            unknown = sorted(set(reply) - {"title", "text"})
            if unknown:
                raise ValueError(f"{where}[{i}].{unknown[0]}: unknown key (a reply has a title and a text)")
            for key, limit in (("title", MAX_TITLE), ("text", MAX_TEXT)):
                value = reply.get(key)
                if not isinstance(value, str) or not value.strip():
                    raise ValueError(f"{where}[{i}].{key}: write the reply's {key}")
                if len(value) > limit:
                    raise ValueError(f"{where}[{i}].{key}: longer than {limit} characters")
            bad = [p for p in placeholders_in(str(reply["text"])) if p not in PLACEHOLDERS]
            if bad:
                known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                raise ValueError(f"{where}[{i}].text: unknown placeholder {{{bad[0]}}} (known: {known})")
            out.append(CannedReply(str(reason), str(reply["title"]).strip(), str(reply["text"]).strip()))
    return out


def placeholder_values(customer: Mapping[str, Any], protocol: str, fields: Mapping[str, Any]) -> dict[str, str]:
    """The placeholders this ticket can fill now; one it cannot (no recalculation number yet) stays out."""
    values = {
        "customer_name": str(customer.get("name") or "").strip(),
        "protocol": protocol.strip(),
        "recalculation_number": str(fields.get("recalculation_number") or "").strip(),
    }
    return {k: v for k, v in values.items() if v}


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each placeholder the ticket can fill replaced; the others left as written, to be resolved."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def unresolved(text: str) -> list[str]:
    """The placeholders still in a text about to be sent to the customer (a reply must have none)."""
    return placeholders_in(text)
