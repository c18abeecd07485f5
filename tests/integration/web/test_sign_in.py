"""Signing in to the pages with a token."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import load_reference, token


async def test_pages_send_strangers_to_sign_in(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].startswith("/login")


async def test_sign_in_sets_cookie_and_goes_home_by_role(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    value = await token(db, "client", "reference", name="Ana Cliente")
    bad = await client.post("/login", data={"token": "ops_wrong", "next": "/"}, headers={"accept-language": "en"})
    assert bad.status_code == 401
    assert "Invalid, expired or revoked token" in bad.text
    good = await client.post("/login", data={"token": value, "next": "https://evil.example/"}, follow_redirects=False)
    assert good.status_code == 303
    assert good.headers["location"] == "/portal"
    assert "httponly" in good.headers["set-cookie"].lower()


async def test_language_switch_translates(client: AsyncTestClient[Litestar]) -> None:
    english = await client.get("/login", headers={"accept-language": "en-US"})
    assert "Sign in" in english.text
    await client.post("/lang", data={"lang": "pt", "next": "/login"})
    assert "Entrar" in (await client.get("/login")).text


async def test_signing_in_from_a_link_lands_on_the_page_and_its_query(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await load_reference(db)
    sent = await client.get("/portal?contract=reference&month=2026-02", follow_redirects=False)
    assert sent.headers["location"] == "/login?next=/portal%3Fcontract%3Dreference%26month%3D2026-02"
    form = await client.get(sent.headers["location"])
    assert 'value="/portal?contract=reference&amp;month=2026-02"' in form.text
    value = await token(db, "client", "reference", name="Ana Cliente")
    signed = await client.post(
        "/login", data={"token": value, "next": "/portal?contract=reference&month=2026-02"}, follow_redirects=False
    )
    assert signed.headers["location"] == "/portal?contract=reference&month=2026-02"


async def test_every_page_names_the_icon_it_serves(client: AsyncTestClient[Litestar]) -> None:
    """Browsers ask for an icon on every page: it is the one the page names, served (there was a 404 each time)."""
    page = await client.get("/login")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    icon = await client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
