"""Ticket urgency: regulator threats, social reach, VIP segments and aging."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.queues.intake.priority import (
    DEFAULT_POLICY,
    PriorityPolicy,
    parse_policy,
    prioritize,
    score_at,
    sort_key,
)

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "Se não resolverem vou abrir reclamação na ANATEL",
        "já registrei no Procon",
        "vou ligar na ouvidoria",
        "Vou reclamar no consumidor.gov.br",
        "vou no consumidor gov",
        "postei no Reclame Aqui",
        "#reclameaqui @anatel_oficial",
        "Voy a denunciar ante el ENACOM",
        "iré a Defensa del Consumidor",
    ],
)
def test_threatening_the_regulator_makes_a_ticket_critical(text: str) -> None:
    result = prioritize(subject="Reclamação", body=text)
    assert result.critical
    assert result.level == "critical"
    assert any(r.startswith("regulator_threat:") for r in result.reasons)


@pytest.mark.parametrize("text", ["minha internet está lenta", "anatelx procons", "reclame agora aqui"])
def test_ordinary_text_is_not_critical(text: str) -> None:
    result = prioritize(body=text)
    assert not result.critical
    assert result.level == "normal"


def test_a_critical_ticket_outranks_every_non_critical_one_of_the_same_age() -> None:
    plain_critical = prioritize(body="vou no procon", segment="residencial")
    loudest = prioritize(
        body="vou procurar um advogado",
        segment="VIP",
        followers=50_000_000,
        reason="cancel",
        policy=PriorityPolicy(reason_points={"cancel": 1000.0}),
    )
    assert not loudest.critical
    assert plain_critical.score > loudest.score


def test_legal_threat_raises_priority_without_making_it_critical() -> None:
    result = prioritize(body="Vou entrar no juizado de pequenas causas")
    assert not result.critical
    assert result.level == "high"
    assert result.reasons == ("legal_threat:juizado", "legal_threat:pequenas causas")
    # "processo" alone is routine vocabulary, not a threat.
    assert prioritize(body="qual o processo de portabilidade?").level == "normal"


def test_bigger_social_audience_scores_higher_and_is_capped() -> None:
    scores = [prioritize(followers=f).score for f in (None, 100, 10_000, 1_000_000, 100_000_000)]
    assert scores[0] < scores[1] < scores[2] < scores[3]
    assert scores[3] == scores[4]
    assert prioritize(followers=1_000_000).level == "high"
    assert prioritize(followers=100).level == "normal"


def test_vip_segments_are_configurable_and_case_insensitive() -> None:
    assert prioritize(segment="Empresarial").level == "high"
    assert prioritize(segment="residencial").level == "normal"
    custom = PriorityPolicy(vip_segments=frozenset({"Ouro"}))
    assert prioritize(segment="OURO", policy=custom).level == "high"
    assert prioritize(segment="vip", policy=custom).level == "normal"


def test_reason_points_can_lower_a_ticket() -> None:
    policy = PriorityPolicy(reason_points={"suggestion": -8.0})
    result = prioritize(reason="suggestion", policy=policy)
    assert result.level == "low"
    assert result.reasons == ("reason:suggestion",)


def test_aging_lets_an_old_normal_ticket_overtake_a_new_high_one() -> None:
    normal = prioritize(body="sem sinal").score
    high = prioritize(segment="vip").score
    rate = 1.0
    old_created, new_created = NOW - timedelta(days=2), NOW - timedelta(minutes=5)
    assert score_at(normal, old_created, NOW, rate) > score_at(high, new_created, NOW, rate)
    assert score_at(normal, NOW - timedelta(hours=1), NOW, rate) < score_at(high, new_created, NOW, rate)


def test_score_at_grows_by_the_aging_rate_per_hour() -> None:
    assert score_at(10.0, NOW - timedelta(minutes=90), NOW, 2.0) == pytest.approx(13.0)
    # Naive timestamps from the database are read as UTC.
    assert score_at(10.0, NOW.replace(tzinfo=None), NOW + timedelta(hours=1), 2.0) == pytest.approx(12.0)


@given(
    st.lists(st.tuples(st.floats(0, 200, allow_nan=False), st.integers(0, 60 * 24 * 30)), min_size=2, max_size=20),
    st.integers(0, 60 * 24 * 30),
    st.sampled_from([0.5, 1.0, 4.0]),
)
def test_sort_key_orders_tickets_as_their_scores_do_at_any_instant(
    tickets: list[tuple[float, int]], later_minutes: int, rate: float
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    now = start + timedelta(days=31, minutes=later_minutes)
    rows = [(base, start + timedelta(minutes=m)) for base, m in tickets]
    by_key = sorted(rows, key=lambda r: sort_key(r[0], r[1], rate))
    effective = [score_at(base, created, now, rate) for base, created in by_key]
    assert all(a <= b + 1e-6 for a, b in itertools.pairwise(effective))


def test_parse_policy_reads_the_contract_section() -> None:
    policy = parse_policy(
        {
            "vip_segments": ["platinum"],
            "vip_points": 30,
            "extra_regulator_terms": ["idec"],
            "reason_points": {"suggestion": -5},
        }
    )
    assert prioritize(body="vou ao IDEC", policy=policy).critical
    assert prioritize(body="vou ao procon", policy=policy).critical
    assert prioritize(segment="platinum", policy=policy).score == pytest.approx(40.0)
    assert parse_policy({}) == DEFAULT_POLICY


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "priority: expected a mapping"),
        ({"vip_point": 3}, r"priority\.vip_point: unknown field"),
        ({"vip_points": "high"}, r"priority\.vip_points: expected a number"),
        ({"vip_segments": ["vip", 3]}, r"priority\.vip_segments\[1\]"),
        ({"regulator_terms": ["anatel", "*"]}, r"priority\.regulator_terms\[1\]"),
        ({"reason_points": {"x": "a"}}, r"priority\.reason_points\.x: expected a number"),
        ({"non_critical_cap": 500}, r"priority: non_critical_cap"),
    ],
)
def test_parse_policy_names_the_bad_field(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_policy(data)
