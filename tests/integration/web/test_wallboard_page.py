"""The wallboard page: linked from /supervisor, the posted figures in large type in the reader's language, amber
and red by the contract's levels, a silent platform said, and its refresh a static script (no inline one)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.db import utcnow
from ops.l10n import Formats
from tests.helpers import bearer, load_reference, sign_in, token

CARE = {
    "queue": "cabonet-care", "calls_waiting": 3, "longest_wait_seconds": 75, "agents_logged_in": 12,
    "agents_available": 1, "agents_on_call": 10, "agents_paused": 1, "answered": 1540, "abandoned": 60,
    "answered_within": 1320,
}  # fmt: skip


async def test_the_board_in_portuguese_and_spanish(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    pbx = await token(db, "telephony", "reference", name="Asterisk")
    assert (await client.post("/api/telephony/queues", json={"queues": [CARE]}, headers=bearer(pbx))).status_code == 200
    await sign_in(client, await token(db, "supervisor", "reference", name="Sup"))

    supervision = await client.get("/supervisor")
    assert 'href="/wallboard"' in supervision.text

    pt = await client.get("/wallboard", headers={"accept-language": "pt-BR"})
    assert pt.status_code == 200
    assert "Painel de filas" in pt.text and "Nível de serviço hoje" in pt.text and "Agentes logados" in pt.text
    assert Formats("pt-BR").percent(1320 / 1600) in pt.text  # 82,5%: above the 80 % target
    assert 'class="wb-figure lv-ok" data-col="service_level"' in pt.text
    assert 'class="wb-figure lv-red" data-col="longest_wait"' in pt.text  # 75 s: red from 60 s
    assert 'class="wb-figure lv-ok" data-col="calls_waiting"' in pt.text
    # Help desk: never heard of, and said so; its figures are not coloured.
    assert "A plataforma de telefonia ainda não enviou nada desta fila." in pt.text
    # The refresh is a file of this site: the CSP needs no nonce for it, and no inline script is on the page.
    assert '<script src="/static/wallboard.js" defer></script>' in pt.text
    assert "<script>" not in pt.text
    assert (await client.get("/static/wallboard.js")).status_code == 200

    es = await client.get("/wallboard", headers={"accept-language": "es-AR"})
    assert "Tablero de colas" in es.text and "Llamadas en espera" in es.text
    assert Formats("es-AR").percent(1320 / 1600) in es.text
    en = await client.get("/wallboard", headers={"accept-language": "en"})
    assert "Service level today" in en.text and "82.5%" in en.text


async def test_a_silent_platform_is_said_on_the_board(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    pbx = await token(db, "telephony", "reference", name="Asterisk")
    old = {"observed_at": (utcnow() - timedelta(minutes=5)).isoformat(), "queues": [CARE]}
    assert (await client.post("/api/telephony/queues", json=old, headers=bearer(pbx))).status_code == 200
    await sign_in(client, await token(db, "manager", name="Gestora"))
    page = await client.get("/wallboard", params={"contract": "reference"}, headers={"accept-language": "es-AR"})
    assert "Sin datos en vivo de la plataforma de telefonía" in page.text
    assert "wb-stale" in page.text
    assert 'class="wb-figure lv-none" data-col="longest_wait"' in page.text  # not live: not coloured
