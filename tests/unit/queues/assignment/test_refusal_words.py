"""The refusals the supervisor's and the agent's pages word themselves (assignment, status, saved views): every
msgid has a Portuguese and an Argentine Spanish translation with the same {placeholders}."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from ops.l10n import gettext

QUEUES = Path(__file__).resolve().parents[4] / "src" / "ops" / "queues"
MODULES = ("assignment/agents.py", "assignment/direct.py", "work/saved_views.py", "work/bulk.py")


def msgids() -> set[str]:
    return {
        str(message)
        for name in MODULES
        for _, message, _, _ in extract_from_file("python", QUEUES / name, keywords={"N_": None})
    }


@pytest.mark.parametrize("lang", ["pt-BR", "es-AR"])
def test_every_refusal_is_translated_with_its_placeholders(lang: str) -> None:
    found = msgids()
    assert len(found) >= 12
    words = gettext(lang)
    for msgid in found:
        assert words(msgid) != msgid, (lang, msgid)
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", words(msgid))), msgid
