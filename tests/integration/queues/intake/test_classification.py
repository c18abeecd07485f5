"""Classification into queues and urgency scores, as the reference contract's rules set them."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.contracts.document import ContractFileError, parse_contract
from tests.helpers import REFERENCE_CONTRACT, bearer, token
from tests.integration.queues.conftest import delivery


async def post(api: AsyncTestClient[Litestar], **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/tickets", json=delivery(**fields))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("fields", "queue", "reason"),
    [
        ({"reason": "undue_charge"}, "bo_care", "undue_charge"),
        ({"reason": "no_internet", "channel": "crm"}, "bo_helpdesk", "no_internet"),
        ({"reason": "BUILDING_NO_SIGNAL"}, "bo_helpdesk", None),  # codes compare without case...
        # Free text only, Portuguese and Spanish, accents and case ignored.
        ({"reason": None, "subject": "SEM CONEXAO desde ontem", "body": ""}, "bo_helpdesk", None),
        ({"reason": None, "subject": "Internet", "body": "Estoy sin señal hace dos días"}, "bo_helpdesk", None),
        (
            {"reason": None, "subject": "Reclamo", "body": "Me cobraron dos veces, quiero la devolucion"},
            "bo_care",
            None,
        ),
        ({"reason": None, "subject": "Quero cancelar", "body": "Pedido de cancelamento do combo"}, "bo_care", None),
        # A public post goes to the social team whatever it is about.
        ({"reason": None, "channel": "instagram", "subject": "", "body": "sem internet de novo"}, "social", None),
    ],
)
async def test_rules_send_each_ticket_to_its_queue(
    api: AsyncTestClient[Litestar], qdb: Any, fields: dict[str, Any], queue: str, reason: str | None
) -> None:
    if fields.get("reason") == "BUILDING_NO_SIGNAL":
        # ...but a reason must be one of the contract's codes as written.
        refused = await api.post("/api/tickets", json=delivery(**fields))
        assert refused.status_code == 422
        fields = fields | {"reason": "building_no_signal"}
        reason = "building_no_signal"
    body = await post(api, **fields)
    assert body["queue"] == queue
    assert body["flagged"] is False
    if reason is not None:
        assert body["reason"] == reason


async def test_reason_keywords_fill_in_a_missing_reason(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    body = await post(api, reason=None, subject="Dúvida na FATURA", body="O boleto veio com valor errado")
    assert body["reason"] == "billing"
    assert body["queue"] == "bo_care"
    assert body["classification"]["reason_inferred"] == {"reason": "billing", "keywords": ["fatura", "boleto"]}


async def test_unmatched_tickets_go_to_the_default_queue_flagged(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    body = await post(api, reason=None, subject="Olá", body="Gostaria de falar com alguém, por favor.")
    assert (body["queue"], body["flagged"]) == ("bo_care", True)
    assert body["classification"]["rule"] is None
    flagged = await api.get("/api/tickets", params={"flagged": "true"})
    assert [t["id"] for t in flagged.json()] == [body["id"]]


def test_a_bad_rule_fails_the_contract_load_with_its_path() -> None:
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(
        "    keywords: [fatura, cobrança,", "    keywords: [fa*tura, cobrança,"
    )
    with pytest.raises(ContractFileError) as error:
        parse_contract(text, "reference.yaml")
    assert error.value.path == "classification[4].keywords[0]"
    assert error.value.problem.startswith("'fa*tura'")

    typo = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(
        "  - queue: social\n    channels:", "  - queue: social\n    chanels:"
    )
    with pytest.raises(ContractFileError) as error:
        parse_contract(typo, "reference.yaml")
    assert error.value.path == "classification[0].chanels"
    assert error.value.problem.startswith("unknown field")

    bad_priority = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(
        "  vip_segments: [vip,", "  vip_segmnts: [vip,"
    )
    with pytest.raises(ContractFileError) as error:
        parse_contract(bad_priority, "reference.yaml")
    assert error.value.path == "priority.vip_segmnts"


async def test_a_bad_rule_is_refused_by_the_api_too(client: AsyncTestClient[Litestar], qdb: Any) -> None:
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace("  - queue: social\n", "  - queue: 12\n", 1)
    response = await client.post("/api/contracts", content=text.encode(), headers=bearer(await token(qdb, "manager")))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "classification[0].queue"


# --- urgency ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "threat",
    [
        "Se não resolverem vou abrir reclamação na ANATEL",
        "Já registrei no Procon e no consumidor.gov.br",
        "Vou postar no Reclame Aqui hoje",
        "Voy a denunciar ante ENACOM y Defensa del Consumidor",
        "Vou ligar para a ouvidoria",
    ],
)
async def test_threatening_the_regulator_makes_a_ticket_critical(
    api: AsyncTestClient[Litestar], qdb: Any, threat: str
) -> None:
    body = await post(api, body=threat)
    assert (body["priority"], body["critical"]) == ("critical", True)
    assert any(r.startswith("regulator_threat:") for r in body["classification"]["priority_reasons"])
    # Critical SLA targets apply: bo_care critical first response in 30 business minutes (10:00 -> 10:30).
    assert body["first_response_due"] == "2026-03-02T13:30:00Z"


async def test_social_reach_and_vip_segments_raise_the_score(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    def social(followers: int) -> dict[str, Any]:
        return {
            "channel": "twitter",
            "reason": "public_complaint",
            "customer": {"handle": "@x", "followers": followers},
        }

    small = await post(api, **social(40))
    loud = await post(api, **social(310_000))
    assert loud["score"] > small["score"]
    assert loud["priority"] == "high"
    vip = await post(api, customer={"id": "C9", "segment": "Corporativo"})
    plain = await post(api, customer={"id": "C8", "segment": "residential"})
    assert vip["score"] > plain["score"]
    assert "vip_segment:Corporativo" in vip["classification"]["priority_reasons"]


async def test_agents_take_the_most_urgent_first_and_old_tickets_catch_up(
    api: AsyncTestClient[Litestar], qdb: Any
) -> None:
    from tests.integration.queues.conftest import make_agent

    older = await post(api, created_at="2026-03-02T02:00:00-03:00")  # waited 8 hours more
    fresh_vip = await post(api, customer={"segment": "vip"})
    threat = await post(api, body="vou reclamar na anatel")
    _, secret = await make_agent(qdb, "Ana", {"bo_care": 1}, capacity=5, status="busy")
    order = []
    for _ in range(3):
        response = await api.post("/api/queues/bo_care/next", headers=bearer(secret))
        order.append(response.json()["id"])
    # The threat is critical; 8 hours of waiting (2 points an hour in bo_care) outweigh a VIP's 12.
    assert order == [threat["id"], older["id"], fresh_vip["id"]]
