"""Replay of consumidor.gov.br complaints (SENACON open data) as closed tickets of a contract.

Each CSV row becomes a ticket of channel `consumidor_gov`, source `consumidor.gov.br`: the reason
comes from the problem group, the opened / answered / closed dates are kept as `created_at` /
`first_response_at` / `resolved_at` and `closed_at` (local midnight of each date, the dates being
all the platform publishes), and the customer's state (UF) stays in `customer.state` and
`fields.uf` for business-day counts by state. The rows carry no id: the external id is a digest of
the row, numbered when identical rows repeat, so replaying the same file twice stores nothing new.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ops import bounds
from ops.queues.intake.rules import TicketData
from ops.tabular import Table, TableError

SOURCE = "consumidor.gov.br"
CHANNEL = "consumidor_gov"
COLUMNS = (
    "regiao", "uf", "cidade", "sexo", "faixa_etaria", "ano_abertura", "mes_abertura", "data_abertura",
    "data_resposta", "data_finalizacao", "tempo_resposta_dias", "nome_fantasia", "segmento_mercado",
    "area", "assunto", "grupo_problema", "problema", "como_comprou_contratou", "procurou_empresa",
    "respondida", "situacao", "avaliacao_reclamacao", "nota_consumidor",
)  # fmt: skip
# Problem group -> reason code of the reference contract. Groups not listed ("Saúde e Segurança")
# arrive without a reason and are classified by their text, or flagged in the default queue.
REASONS: dict[str, str] = {
    "Cobrança / Contestação": "undue_charge",
    "Contrato / Oferta": "contract_offer",
    "Atendimento / SAC": "sac_complaint",
    "Vício de Qualidade": "technical_claim",
    "Informação": "information",
    "Entrega do Produto": "delivery",
}


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    problem: str


def check_header(table: Table) -> None:
    """TableError naming the file when its header is not consumidor.gov.br's."""
    try:
        table.require("uf", "data_abertura", "data_finalizacao", "grupo_problema")
    except TableError as exc:
        raise TableError(f"not a consumidor.gov.br file: {exc}") from None


def _date(text: str) -> date | None:
    text = text.strip()
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _at(day: date | None, tz: ZoneInfo) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tz)


def row_ticket(
    row: Mapping[str, str], external_id: str, *, tz: ZoneInfo, reasons: Mapping[str, str] = REASONS
) -> TicketData:
    """One complaint as a closed ticket; ValueError names the field that does not parse."""
    dates: dict[str, date | None] = {}
    for column in ("data_abertura", "data_resposta", "data_finalizacao"):
        text = row.get(column) or ""
        try:
            dates[column] = _date(text)
        except ValueError:
            raise ValueError(f"{column}: {text.strip()!r} is not a date written dd/mm/yyyy") from None
    opened, answered, closed = dates["data_abertura"], dates["data_resposta"], dates["data_finalizacao"]
    if opened is None or closed is None:
        raise ValueError("data_abertura and data_finalizacao are required")
    for name, day in (("data_abertura", opened), ("data_resposta", answered), ("data_finalizacao", closed)):
        if day is not None and (problem := bounds.date_problem(day)) is not None:
            raise ValueError(f"{name}: {problem}")
    if problems := bounds.tree_problems(dict(row)):
        raise ValueError("; ".join(f"{field}: {problem}" for field, problem in problems))
    uf = row.get("uf", "").strip().upper()
    city = row.get("cidade", "").strip()
    group = row.get("grupo_problema", "").strip()
    customer = {"area": f"{city} - {uf}" if city else uf, "state": uf, "region": row.get("regiao", "").strip()}
    return TicketData(
        external_id=external_id,
        channel=CHANNEL,
        source=SOURCE,
        reason=reasons.get(group),
        subject=f"{row.get('assunto', '').strip()}: {group}"[:500],
        body=row.get("problema", "").strip(),
        customer={k: v for k, v in customer.items() if v},
        created_at=_at(opened, tz),
        raw=dict(row),
        status="closed",
        first_response_at=_at(answered, tz),
        resolved_at=_at(closed, tz),
        closed_at=_at(closed, tz),
        fields={
            "uf": uf,
            "company": row.get("nome_fantasia", "").strip(),
            "problem_group": group,
            "problem": row.get("problema", "").strip(),
            "opened_on": opened.isoformat(),
            "answered_on": answered.isoformat() if answered else None,
            "closed_on": closed.isoformat(),
            "response_days": int(row["tempo_resposta_dias"]) if row.get("tempo_resposta_dias") else None,
            "outcome": row.get("avaliacao_reclamacao", "").strip(),
            "rating": int(row["nota_consumidor"]) if row.get("nota_consumidor") else None,
        },
    )


def read_complaints(
    table: Table, *, tz: ZoneInfo, reasons: Mapping[str, str] = REASONS
) -> Iterator[TicketData | RowProblem]:
    """Tickets (or the problem of a row, with its line number) from the file's rows, in file order."""
    check_header(table)
    seen: Counter[str] = Counter()
    for item in table:
        if item.problem is not None:
            yield RowProblem(item.line, item.problem)
            continue
        row = {k: "" if v is None else str(v) for k, v in item.values.items()}
        digest = hashlib.sha256("\x1f".join(row.get(c, "") for c in table.columns).encode()).hexdigest()[:24]
        seen[digest] += 1
        try:
            yield row_ticket(row, f"{digest}-{seen[digest]}", tz=tz, reasons=reasons)
        except (ValueError, KeyError) as exc:
            yield RowProblem(item.line, str(exc))


def batches(items: Iterable[TicketData | RowProblem], size: int) -> Iterator[list[TicketData | RowProblem]]:
    batch: list[TicketData | RowProblem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
