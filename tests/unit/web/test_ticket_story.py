"""The ticket page's story: the history as sentences in the reader's language, the thread apart from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ops.l10n import Formats, say
from ops.web.ticket_story import Names, sentence, thread

AT = datetime(2026, 12, 7, 17, 2, tzinfo=UTC)


@dataclass
class Ev:
    action: str
    actor: str = "supervisor:Maria #5"
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    at: datetime = AT


NAMES = Names(agents={1: "João", 5: "Maria"}, queues={"bo_care": "Back office - care", "care": "Customer care"})


def told(event: Ev, lang: str) -> str:
    fmt = Formats(lang)
    line = sentence(event, NAMES, lambda at: fmt.moment(at, "America/Sao_Paulo"), str)
    return say(line.said, lang)


def test_an_assignment_reads_as_a_sentence_in_each_language_with_no_ids_or_iso_stamps() -> None:
    take = Ev("take", before={"assigned_agent_id": 1, "status": "open"}, after={"assigned_agent_id": 5})
    assert told(take, "pt-BR") == "Maria assumiu o chamado de João em 07/12 14:02"
    assert told(take, "es-AR") == "Maria tomó el ticket de João el 7/12, 14:02"
    assert told(take, "en") == "Maria took the ticket over from João at 12/7, 2:02\u202fPM"
    pushed = Ev("assigned", actor="system:push", after={"assigned_agent_id": 1, "how": "longest_idle"})
    assert told(pushed, "pt-BR") == "O sistema atribuiu o chamado a João em 07/12 14:02"
    pulled = Ev("assigned", actor="agent:1", after={"assigned_agent_id": 1, "how": "pull"})
    assert told(pulled, "es-AR") == "João tomó el ticket como su próximo el 7/12, 14:02"


def test_a_breach_a_transfer_and_an_override_name_things_not_codes() -> None:
    breach = Ev("sla_breach", actor="system:sla", after={"kind": "resolution", "target_minutes": 960.0})
    assert told(breach, "pt-BR") == "O prazo de resolução foi descumprido em 07/12 14:02"
    moved = Ev("transfer", before={"queue": "care"}, after={"queue": "bo_care"})
    assert told(moved, "es-AR") == "Maria transfirió el ticket de Customer care a Back office - care el 7/12, 14:02"
    anyway = Ev("resolve", after={"status": "resolved", "override": "Por telefone", "no_reply": True})
    assert told(anyway, "pt-BR") == "Maria resolveu o chamado mesmo assim em 07/12 14:02, com o motivo: Por telefone"
    fmt = Formats("pt-BR")
    line = sentence(anyway, NAMES, lambda at: fmt.moment(at), str)
    assert [say(d, "pt-BR") for d in line.details] == ["Nenhuma resposta havia sido enviada ao cliente."]


def test_the_thread_holds_the_customer_the_replies_and_the_notes_in_order() -> None:
    later = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    events = [
        Ev("take", actor="agent:Ana #3"),
        Ev("pend", actor="agent:Ana #3", note="Aguardando a fatura", at=later),
        Ev("reply", actor="agent:Ana #3", note="Pode enviar a fatura?"),
    ]
    entries = thread("Cobrança indevida", datetime(2026, 12, 7, 12, tzinfo=UTC), "Maria Souza", events, NAMES)
    assert [(e.kind, e.who, e.text) for e in entries] == [
        ("customer", "Maria Souza", "Cobrança indevida"),
        ("reply", "Ana", "Pode enviar a fatura?"),
        ("note", "Ana", "Aguardando a fatura"),
    ]
