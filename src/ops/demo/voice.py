"""A realistic, seeded demo month for the reference contract: voice interval statistics and CRM tickets.

Pure generators (numbers in, DataFrames / dicts out); `ops.demo.prepare` stores what they make.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ops.calendars import Calendar

# Calls per day on an ordinary Wednesday, average handle seconds, and staffed agents at the peak.
VOICE_PROFILE: dict[str, tuple[float, float, int]] = {
    "care": (1050.0, 285.0, 18),
    "helpdesk": (850.0, 340.0, 17),
    "retention": (300.0, 410.0, 6),
}
# Monday highest, Sunday low (DOMAIN.md and the Anonymous Bank/US bank shapes agree on this).
WEEKDAY_FACTOR = (1.28, 1.10, 1.00, 0.97, 0.90, 0.42, 0.18)
HOLIDAY_FACTOR = 0.25


def intraday_shape(minutes: np.ndarray) -> np.ndarray:
    """Two daily peaks (mid-morning and mid-afternoon) over a low base, as call centers see."""
    hours = minutes / 60.0
    morning = np.exp(-0.5 * ((hours - 10.5) / 1.3) ** 2)
    afternoon = 0.85 * np.exp(-0.5 * ((hours - 15.0) / 1.5) ** 2)
    return 0.15 + morning + afternoon


def voice_intervals(
    *, queue: str, calendar: Calendar, first_day: date, days: int, seed: int, answer_within: int = 20
) -> pd.DataFrame:
    """Interval statistics of one voice queue: raw counts and sums per 30 minutes of opening hours."""
    daily, aht, staffed_peak = VOICE_PROFILE[queue]
    rng = np.random.default_rng([seed, sum(map(ord, queue))])
    tz = calendar.timezone
    rows: list[dict[str, Any]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        windows = calendar.hours[day.weekday()]
        if not windows:
            continue
        factor = WEEKDAY_FACTOR[day.weekday()] * (HOLIDAY_FACTOR if calendar.is_holiday(day) else 1.0)
        starts = np.array([m for start, end in windows for m in range(start, end, 30)], dtype=float)
        shape = intraday_shape(starts + 15)
        expected = daily * factor * shape / intraday_shape(np.arange(480, 1260, 30) + 15).sum()
        offered = rng.poisson(expected)
        for start_min, n in zip(starts, offered, strict=True):
            local = datetime.combine(day, time()) + timedelta(minutes=float(start_min))
            start_utc = local.replace(tzinfo=tz).astimezone(UTC)
            rows.append(_interval(queue, start_utc, int(n), aht, staffed_peak, rng, answer_within))
    return pd.DataFrame(rows)


def _interval(
    queue: str, start: datetime, offered: int, aht: float, staffed_peak: int, rng: np.random.Generator, t: int
) -> dict[str, Any]:
    load = offered * aht / 1800.0
    staffed = max(2, min(staffed_peak, math.ceil(load / 0.82) + 1))
    pressure = load / staffed
    # Beyond ~85 % occupancy waits grow fast: a smooth curve keeps the month believable.
    sl = float(np.clip(0.97 - 0.9 / (1 + math.exp(-12 * (pressure - 0.93))) + rng.normal(0, 0.02), 0.05, 0.99))
    abandon_share = float(np.clip(0.01 + 0.22 / (1 + math.exp(-10 * (pressure - 1.0))), 0.0, 0.4))
    abandoned = int(rng.binomial(offered, abandon_share)) if offered else 0
    answered = offered - abandoned
    answered_within = int(rng.binomial(answered, sl)) if answered else 0
    short = int(rng.binomial(abandoned, 0.35)) if abandoned else 0
    abandoned_within = min(abandoned, short + (int(rng.binomial(abandoned - short, 0.3)) if abandoned > short else 0))
    asa = 4 + 120 * max(0.0, 1 - sl) ** 1.5
    handle = float(answered * max(60.0, rng.normal(aht, aht * 0.05)))
    return {
        "queue": queue,
        "interval_start": start,
        "offered": offered,
        "answered": answered,
        "answered_within": answered_within,
        "abandoned": abandoned,
        "abandoned_within": abandoned_within,
        "short_abandons": short,
        "handle_seconds": round(handle, 1),
        "wait_seconds": round(answered * asa, 1),
        "staffed_seconds": float(staffed * 1800),
        "answer_within_seconds": t,
    }


# --- tickets ------------------------------------------------------------------------------------

AREAS = ("Moema", "Pinheiros", "Santana", "Tatuapé", "Vila Mariana", "Butantã", "Lapa", "Penha")
NAMES = (
    "Ana Souza",
    "Bruno Lima",
    "Carla Dias",
    "Diego Alves",
    "Elisa Rocha",
    "Fábio Nunes",
    "Gabriela Reis",
    "Heitor Costa",
    "Isabela Melo",
    "João Pereira",
    "Karen Duarte",
    "Lucas Martins",
    "Marina Gomes",
    "Nelson Farias",
    "Olívia Castro",
    "Paulo Mendes",
    "Renata Barros",
    "Sérgio Teixeira",
)
# (queue's channel, reason code or None, subject, body) written as customers write them.
TEMPLATES: tuple[tuple[str, str | None, str, str], ...] = (
    (
        "email",
        "undue_charge",
        "Cobrança indevida na fatura",
        "Fui cobrado por um serviço que não contratei na primeira fatura. Quero o estorno.",
    ),
    ("web", "speed_upgrade", "Upgrade de velocidade", "Gostaria de passar o plano de 300 para 600 mega."),
    ("crm", "address_change", "Mudança de endereço", "Vou me mudar no próximo mês e preciso transferir os serviços."),
    (
        "email",
        "data_change",
        "Alterar e-mail de contato",
        "Preciso atualizar o e-mail cadastrado para receber a fatura.",
    ),
    ("crm", "cancel_event", "Cancelar visita", "Não estarei em casa na data agendada, cancelem a visita por favor."),
    ("fax", "certified_copy", "Segunda via autenticada do contrato", "Solicito cópia autenticada do contrato."),
    ("crm", "technical_claim", "Sem sinal de TV", "Estou sem sinal em todos os canais desde ontem à noite."),
    ("crm", "building_no_signal", "Prédio sem sinal", "Todo o prédio está sem internet e TV desde as 8h."),
    ("email", "noc_claim", "Reclamação da loja", "Cliente compareceu na loja com modem queimado, precisa de visita."),
    (
        "crm",
        "branch_support",
        "Apoio à revenda",
        "A revenda do centro precisa de apoio por telefone para ativar um combo de TV e internet.",
    ),
    (
        "email",
        None,
        "Sem internet há 3 dias",
        "Já liguei várias vezes e ninguém resolve. Se não resolverem hoje vou abrir reclamação na Anatel.",
    ),
    ("web", None, "Técnico não apareceu", "O técnico não veio na visita agendada e ninguém avisou."),
    ("email", None, "Reclamo por factura", "Me cobraron dos veces el mismo mes, quiero la devolución."),
)
SOCIAL: tuple[tuple[str, str], ...] = (
    ("public_complaint", "@CaboNet de novo sem internet, que vergonha! Já são 2 dias."),
    ("public_complaint", "Pior operadora do Brasil @CaboNet, vou no Reclame Aqui"),
    ("public_question", "@CaboNet qual o prazo para instalar no meu prédio novo?"),
    ("public_complaint", "@CaboNet a TV trava toda hora, alguém mais?"),
    ("public_question", "@CaboNet como faço para mudar o vencimento da fatura?"),
)
SEGMENTS = ("residential",) * 8 + ("vip", "corporate")


def ticket_payloads(*, now: datetime, days: int, seed: int, contract: str = "reference") -> list[dict[str, Any]]:
    """CRM deliveries of the last `days` days up to `now`, during business hours, as the CRM would send them."""
    rng = np.random.default_rng([seed, 99])
    tz = ZoneInfo("America/Sao_Paulo")
    out: list[dict[str, Any]] = []
    seq = 0
    for back in range(days, -1, -1):
        day = (now.astimezone(tz) - timedelta(days=back)).date()
        weekday = day.weekday()
        per_day = int(rng.poisson(22 if weekday < 5 else 6))
        for _ in range(per_day):
            minute = int(rng.integers(8 * 60, 19 * 60))
            created = datetime.combine(day, time(), tz) + timedelta(minutes=minute, seconds=int(rng.integers(60)))
            if created > now:
                continue
            seq += 1
            out.append(delivery(rng, contract=contract, seq=seq, created=created))
    # A burst of "building without signal" from one area: a mass outage the intake should group.
    burst_start = now - timedelta(hours=3)
    for i in range(6):
        seq += 1
        customer = _customer(rng) | {"area": "Perdizes"}
        out.append(
            _payload(
                contract,
                "crm",
                seq,
                "crm",
                "building_no_signal",
                "Sem sinal no prédio",
                "Internet e TV fora do ar no bairro inteiro.",
                customer,
                burst_start + timedelta(minutes=3 * i),
            )
        )
    return sorted(out, key=lambda p: p["created_at"])


def delivery(
    rng: np.random.Generator, *, contract: str, seq: int, created: datetime, prefix: str = ""
) -> dict[str, Any]:
    """One CRM delivery as the client's CRM sends it: a social-media mention about one time in five, else an
    e-mail, web form or CRM case from the templates. `prefix` keeps external ids of separate runs apart."""
    customer = _customer(rng)
    if rng.random() < 0.22:
        social_reason, text = SOCIAL[int(rng.integers(len(SOCIAL)))]
        customer["handle"] = "@" + customer["name"].split()[0].lower() + str(int(rng.integers(10, 99)))
        customer["followers"] = int(rng.choice([40, 180, 900, 5200, 48000, 310000]))
        return _payload(contract, "social", seq, "social", social_reason, text[:60], text, customer, created, prefix)
    channel, reason, subject, body = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    return _payload(contract, "crm", seq, channel, reason, subject, body, customer, created, prefix)


def _customer(rng: np.random.Generator) -> dict[str, Any]:
    rng.integers(len(NAMES))  # drawn as before, so the rest of the demo's data stays the same
    # A few hundred customers, each with one name: some write again, and the ticket page lists their other tickets.
    number = int(rng.integers(100000, 100600))
    return {
        "id": f"C{number}",
        "name": NAMES[number % len(NAMES)],
        "area": AREAS[int(rng.integers(len(AREAS)))],
        "segment": SEGMENTS[int(rng.integers(len(SEGMENTS)))],
    }


def _payload(
    contract: str,
    source: str,
    seq: int,
    channel: str,
    reason: str | None,
    subject: str,
    body: str,
    customer: dict[str, Any],
    created: datetime,
    prefix: str = "",
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "contract": contract,
        "source": source,
        "external_id": f"{source.upper()}-{prefix}{seq:06d}",
        "channel": channel,
        "subject": subject,
        "body": body,
        "customer": customer,
        "created_at": created.isoformat(),
    }
    if reason is not None:
        payload["reason"] = reason
    return payload
