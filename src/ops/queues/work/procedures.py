"""What an agent fills in on a ticket from its reason: the procedure checklist and the reason's fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ops.errors import InvalidInputError, Said


def N_(message: str) -> str:
    """Marks a msgid for the catalogue (as ops.l10n.N_, which a pure core does not import)."""
    return message


def _step_text(item: Any) -> str:
    if isinstance(item, Mapping):
        return str(item.get("step") or item.get("text") or item.get("item") or item.get("label") or "")
    return str(item)


def checklist_view(procedure: Sequence[Any], stored: Sequence[Any] | None) -> list[dict[str, Any]]:
    """The reason's procedure as checklist rows {step, done, by, at}, keeping the ticks already
    stored for steps whose text is unchanged (a contract reload may reword or reorder steps)."""
    ticks: dict[str, Mapping[str, Any]] = {}
    for item in stored or []:
        if isinstance(item, Mapping) and item.get("done"):
            ticks[_step_text(item)] = item
    rows = []
    for step in procedure:
        text = _step_text(step)
        tick = ticks.get(text)
        rows.append(
            {
                "step": text,
                "done": bool(tick),
                "by": tick.get("by") if tick else None,
                "at": tick.get("at") if tick else None,
            }
        )
    return rows


def validate_fields(
    definitions: Sequence[Mapping[str, Any]], values: Mapping[str, Any], *, require: bool
) -> dict[str, Any]:
    """Reason-specific values checked against the reason's `fields` (code, label, type, required):
    dates as YYYY-MM-DD, numbers as numbers, text not blank; with `require`, every required field
    must be present. Returns the normalised values; raises InvalidInputError naming each field."""
    by_code = {str(d["code"]): d for d in definitions}
    problems: list[dict[str, str]] = []
    said: list[Said] = []  # each problem as a page says it: the field, then why

    def problem(code: str, msgid: str, **values: str) -> None:
        sentence = Said(msgid, {"field": f"fields.{code}", **values})
        said.append(sentence)
        problems.append({"field": f"fields.{code}", "problem": sentence.english().removeprefix(f"fields.{code}: ")})

    clean: dict[str, Any] = {}
    for code, raw in values.items():
        definition = by_code.get(code)
        if definition is None:
            known = ", ".join(by_code) or "none"
            problem(code, N_("{field}: not a field of this reason (known: {known})"), known=known)
            continue
        kind = definition.get("type", "text")
        text = "" if raw is None else str(raw).strip()
        if not text:
            continue  # blank means "not filled in"; a required one is caught below
        if kind == "date":
            try:
                clean[code] = date.fromisoformat(text).isoformat()
            except ValueError:
                problem(code, N_("{field}: {value} is not a date YYYY-MM-DD"), value=repr(text))
        elif kind == "number":
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                problem(code, N_("{field}: {value} is not a number"), value=repr(text))
            else:
                clean[code] = int(number) if number.is_integer() else number
        else:
            clean[code] = text
    if require:
        for code, definition in by_code.items():
            malformed = any(p["field"] == f"fields.{code}" for p in problems)
            if definition.get("required") and code not in clean and not malformed:
                label = definition.get("label", code)
                problem(code, N_("{field}: {label} is required to resolve"), label=str(label))
    if problems:
        # Every problem said, not only the first: a form missing two fields names both.
        told = said[0]
        for more in said[1:]:
            told = Said(N_("{first}; {rest}"), {"first": told, "rest": more})
        raise InvalidInputError(told, extra=problems)
    return clean
