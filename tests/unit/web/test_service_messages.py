"""Service messages a page shows (the work actions' and the next-ticket pull's refusals) are msgids translated in
both catalogues with the same placeholders, and worded with the locale's numbers and the page's status words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from ops.errors import Said
from ops.l10n import CONTEXT_GLUE, LOCALE_DIR, say
from ops.queues.assignment.pull import AGENT_STATUS_WORDS
from ops.queues.work.actions import AT_CAPACITY, STATUS_WORDS

SRC = Path(__file__).resolve().parents[3] / "src" / "ops"
MODULES = (
    "queues/work/actions.py",
    "queues/work/resolving.py",
    "queues/assignment/pull.py",
    "queues/assignment/agents.py",
    "queues/assignment/direct.py",
    "queues/work/procedures.py",
    "queues/work/minutes.py",
    "queues/work/bulk.py",
    "queues/work/bulk_replies.py",
    "queues/work/saved_views.py",
    "queues/intake/incidents.py",
)


def msgids() -> set[str]:
    found = set()
    for name in MODULES:
        for _, message, _, context in extract_from_file(
            "python", SRC / name, keywords={"N_": None, "NC_": ((1, "c"), 2)}
        ):
            text = message if isinstance(message, str) else message[-1]
            found.add(f"{context}{CONTEXT_GLUE}{text}" if context else text)
    return found


@pytest.mark.parametrize("locale", ["pt_BR", "es_AR"])
def test_every_service_message_is_translated_with_its_placeholders(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    words = {(f"{m.context}{CONTEXT_GLUE}{m.id}" if m.context else str(m.id)): str(m.string) for m in catalogue}
    found = msgids()
    assert len(found) > 25
    assert sorted(m for m in found if not words.get(m, "").strip()) == []
    for msgid in found:
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", words[msgid])), msgid
    assert set(STATUS_WORDS.values()) | set(AGENT_STATUS_WORDS.values()) <= found


def test_a_refusal_reads_in_the_language_without_ids() -> None:
    full = Said(AT_CAPACITY, {"capacity": 1200})
    assert full.english() == "You are at capacity (1200 open tickets): finish one first"
    assert say(full, "pt-BR") == "Você está no limite (1.200 chamados abertos): conclua um primeiro"
    wrong = Said(
        "This cannot be done to a ticket in this status (it is {status}): reload the page",
        {"status": Said(STATUS_WORDS["open"])},
    )
    assert wrong.english().endswith("(it is open): reload the page")
    assert (
        say(wrong, "es-AR") == "Esto no se puede hacer con un ticket en este estado (está abierto): recargá la página"
    )
