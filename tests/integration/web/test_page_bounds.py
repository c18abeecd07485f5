"""Pages held to the bounds (issue 13): a week or a month typed into a page's address outside what can be
computed is a 422 naming it, not a 500."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import load_reference, sign_in, token


@pytest.fixture
async def manager(client: AsyncTestClient[Litestar], db: Any) -> AsyncTestClient[Litestar]:
    await load_reference(db)
    await sign_in(client, await token(db, "manager", name="Marta"))
    return client


@pytest.mark.parametrize("week", ["9999-12-27", "0001-01-01"])
async def test_the_staffing_page_names_a_week_outside_the_window(manager: AsyncTestClient[Litestar], week: str) -> None:
    page = await manager.get(
        "/staffing", params={"contract": "reference", "week": week}, headers={"accept-language": "en"}
    )
    assert page.status_code == 422
    assert "Give a day of the week to show (YYYY-MM-DD), within the accepted dates." in page.text
    assert f"<b>week</b>: {week} is outside 2000-01-01 to" in page.text


@pytest.mark.parametrize("month", ["0001-01", "9999-12"])
async def test_the_portal_names_a_month_it_cannot_report(manager: AsyncTestClient[Litestar], month: str) -> None:
    page = await manager.get("/portal", params={"month": month})
    assert page.status_code == 422, page.text
    assert "is outside 1970-01-01 to" in page.text  # the error page names the month
    assert (await manager.get("/portal", params={"month": "1999-02"})).status_code == 200


async def test_an_impossible_week_on_the_staffing_page_is_said_in_the_readers_words(
    manager: AsyncTestClient[Litestar],
) -> None:
    page = await manager.get(
        "/staffing", params={"contract": "reference", "week": "2026-02-30"}, headers={"accept-language": "es-AR"}
    )
    assert page.status_code == 422
    assert "Indicá un día de la semana a mostrar (AAAA-MM-DD), dentro de las fechas aceptadas." in page.text
    assert "Validation failed" not in page.text


@pytest.mark.parametrize("path", ["/staffing", "/billing"])
async def test_a_contract_that_is_not_the_readers_is_not_found_rather_than_another_shown(
    manager: AsyncTestClient[Litestar], path: str
) -> None:
    page = await manager.get(path, params={"contract": "zzz"}, headers={"accept-language": "pt-BR"})
    assert page.status_code == 404 and "Não encontrado" in page.text
    assert (await manager.get(path, params={"contract": "reference"})).status_code == 200
