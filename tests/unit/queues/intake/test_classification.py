"""Classification of tickets into the reference contract's queues."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.queues.intake.classification import ClassificationRule, classify, normalize_text, parse_rules

BACK_OFFICE = ["crm", "email", "web", "fax"]

# The reference contract's queues (DOMAIN.md), written as they would sit under `classification:`.
RULES_DATA: list[dict[str, object]] = [
    {"queue": "social", "channels": ["facebook", "twitter", "instagram"]},
    {
        "queue": "bo_helpdesk",
        "channels": BACK_OFFICE,
        "keywords": ["prédio sem sinal", "edifício sem sinal", "edificio sin señal", "NET"],
    },
    {"queue": "bo_care", "channels": BACK_OFFICE, "reasons": ["speed_upgrade", "refund", "address_change"]},
    {
        "queue": "bo_care",
        "channels": BACK_OFFICE,
        "keywords": ["reembolso", "estorno", "mudança de endereço", "cambio de domicilio", "cobran*"],
    },
    {"queue": "helpdesk", "reasons": ["no_internet", "tv_fault"]},
    {"queue": "care", "channels": ["inbound_voice"], "reasons": ["billing", "complaint"]},
]
RULES = parse_rules(RULES_DATA)


def route(channel: str, text: str = "", reason: str | None = None) -> str:
    return classify(RULES, "care", channel=channel, reason=reason, subject="", body=text).queue


def test_normalize_text_folds_accents_and_case_in_portuguese_and_spanish() -> None:
    assert normalize_text("Reclamação NÃO atendida") == "reclamacao nao atendida"
    assert normalize_text("Señal débil, ¿CUÁNDO?") == "senal debil, ¿cuando?"
    assert normalize_text("Straße") == "strasse"


@pytest.mark.parametrize(
    "text",
    [
        "Prédio sem sinal desde ontem",
        "PREDIO SEM SINAL",
        "predio sem sinal!!",
        "o edifício sem   sinal\nhá dois dias",
        "Edificio sin señal en Palermo",
        "EDIFICIO SIN SENAL",
    ],
)
def test_building_without_signal_goes_to_back_office_help_desk_in_any_spelling(text: str) -> None:
    assert route("email", text) == "bo_helpdesk"


def test_keywords_match_whole_words_only() -> None:
    # "NET" is the cable brand; "internet" must not trigger it.
    assert route("web", "Minha NET está sem canais") == "bo_helpdesk"
    assert route("web", "a internet caiu, quero ajuda") == "care"


def test_phrase_words_must_be_adjacent() -> None:
    assert route("crm", "prédio está sem sinal") == "care"


def test_wildcard_matches_inflected_words() -> None:
    assert route("crm", "Cobrança indevida na fatura") == "bo_care"
    assert route("crm", "cobranças duplicadas") == "bo_care"


def test_reason_rule_routes_without_text_and_keywords_add_matches() -> None:
    result = classify(RULES, "care", channel="fax", reason="refund", subject="", body="")
    assert (result.queue, result.rule_index, result.flagged) == ("bo_care", 2, False)

    result = classify(RULES, "care", channel="email", reason=None, subject="Reembolso", body="cambio de domicilio")
    assert result.queue == "bo_care"
    assert result.rule_index == 3
    assert result.matched == ("reembolso", "cambio de domicilio")


def test_channel_and_reason_codes_compare_case_insensitively() -> None:
    assert route(" Facebook ", "tudo certo") == "social"
    assert route("INBOUND_VOICE", reason="Billing") == "care"


def test_reason_rule_does_not_match_a_ticket_with_no_reason() -> None:
    result = classify(RULES, "care", channel="inbound_voice", reason=None, subject="oi", body="")
    assert result.flagged


def test_unmatched_ticket_goes_to_default_queue_flagged_for_supervisor() -> None:
    result = classify(
        RULES,
        "care",
        channel="email",
        reason="unknown",
        subject="Olá",
        body="Gostaria de elogiar o atendente",
    )
    assert result.queue == "care"
    assert result.rule_index is None
    assert result.flagged
    assert result.matched == ()


def test_rules_run_by_order_then_position() -> None:
    rules = [
        ClassificationRule(queue="retention", keywords=("cancelar",), order=5),
        ClassificationRule(queue="bo_care", keywords=("cancelar",), order=1),
        ClassificationRule(queue="care", keywords=("cancelar",), order=1),
    ]
    result = classify(rules, "care", channel="web", reason=None, body="quero cancelar")
    assert (result.queue, result.rule_index) == ("bo_care", 1)


@given(
    st.text(alphabet="abcdeinorstuáâãàçéêíóôõúñ ,.\n", max_size=60),
    st.sampled_from(["prédio sem sinal", "reembolso", "NET", "cobrança"]),
)
def test_accents_and_case_never_change_the_queue(prefix: str, phrase: str) -> None:
    text = prefix + " " + phrase
    stripped = normalize_text(text).upper()
    assert route("email", text) == route("email", stripped)


def test_parse_rules_fills_defaults() -> None:
    (rule,) = parse_rules([{"queue": "care", "keywords": "fatura"}])
    assert rule == ClassificationRule(queue="care", keywords=("fatura",))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"queue": "care"}, "expected a list"),
        (["care"], r"classification\[0\]: expected a mapping"),
        ([{"keywords": ["x"]}], r"classification\[0\]\.queue: required"),
        ([{"queue": "care", "keyword": ["x"]}], r"classification\[0\]\.keyword: unknown field"),
        ([{"queue": "care", "reasons": ["a"]}, {"queue": "care", "reasons": [""]}], r"\[1\]\.reasons\[0\]"),
        ([{"queue": "care", "keywords": ["ok", "!!!"]}], r"\[0\]\.keywords\[1\]: .* no letter"),
        ([{"queue": "care", "keywords": ["*cancel"]}], r"\[0\]\.keywords\[0\]: .*'\*'"),
        ([{"queue": "care", "channels": "web", "order": "1"}], r"\[0\]\.order: expected an integer"),
        ([{"queue": "care"}], r"\[0\]: a rule needs at least one"),
        ([{"queue": "nowhere", "channels": ["web"]}], r"\[0\]\.queue: unknown queue 'nowhere'"),
    ],
)
def test_parse_rules_names_the_bad_field(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rules(data, known_queues={"care", "bo_care"})
