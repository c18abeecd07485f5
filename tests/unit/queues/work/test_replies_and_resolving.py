"""Canned replies (placeholders filled, unknown ones refused at load, unresolved ones caught) and the resolve rule."""

from __future__ import annotations

import pytest

from ops.errors import InvalidInputError
from ops.queues.work.replies import fill, parse_canned_replies, placeholder_values, unresolved
from ops.queues.work.resolving import blockers, override_allowed, refusal

SECTION = {
    "undue_charge": [
        {"title": "Recálculo", "text": "Olá, {customer_name}. Protocolo {protocol}, recálculo {recalculation_number}."}
    ]
}


def test_placeholders_are_filled_from_the_ticket_and_a_missing_one_stays_to_resolve() -> None:
    [reply] = parse_canned_replies(SECTION, {"undue_charge"})
    values = placeholder_values({"name": "Maria Souza"}, "20261206000042", {})
    text = fill(reply.text, values)
    assert text == "Olá, Maria Souza. Protocolo 20261206000042, recálculo {recalculation_number}."
    assert unresolved(text) == ["recalculation_number"]
    done = fill(reply.text, placeholder_values({"name": "Maria"}, "P1", {"recalculation_number": "RC-7"}))
    assert unresolved(done) == [] and "RC-7" in done


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ({"nope": [{"title": "a", "text": "b"}]}, "work.canned_replies.nope"),
        ({"undue_charge": [{"title": "a", "text": "Olá {nome}"}]}, "work.canned_replies.undue_charge[0].text"),
        ({"undue_charge": [{"title": " ", "text": "b"}]}, "work.canned_replies.undue_charge[0].title"),
        ({"undue_charge": [{"title": "a", "text": "b", "tone": "x"}]}, "work.canned_replies.undue_charge[0].tone"),
        ({"undue_charge": []}, "work.canned_replies.undue_charge"),
    ],
)
def test_a_bad_canned_reply_names_its_field(section: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=": ") as refused:
        parse_canned_replies(section, {"undue_charge"})
    assert str(refused.value).startswith(f"{field}: ")


def test_resolve_needs_every_step_and_a_reply_unless_overridden() -> None:
    steps = [{"step": "a", "done": True}, {"step": "b", "done": False}, {"step": "c", "done": False}]
    blocked = blockers(steps, ["take", "tick", "note", "pend"])
    assert blocked and blocked.steps_open == ("b", "c") and blocked.no_reply
    assert not blockers([{"step": "a", "done": True}], ["reply"])
    assert override_allowed(None) and override_allowed({}) and not override_allowed({"resolve_override": False})
    refused = refusal(blocked, allowed=True, override_given=False)
    assert isinstance(refused, InvalidInputError) and refused.status_code == 422
    assert refused.message == (
        "Not resolved: 2 of 3 procedure steps are not ticked and no reply was sent. "
        "Tick them and reply, or give the reason to resolve anyway."
    )
    assert [p["field"] for p in refused.extra] == ["checklist", "reply", "override"]
    strict = refusal(blocked, allowed=False, override_given=True)
    assert strict.message.endswith("The contract does not allow resolving anyway.")
