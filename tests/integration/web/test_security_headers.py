"""Every answer carries its security headers; a page's inline scripts run only with the answer's nonce."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import bearer, load_reference, sign_in, token

Client = AsyncTestClient[Litestar]


def nonce_of(response: Any) -> str:
    policy = response.headers["content-security-policy"]
    found = re.search(r"script-src 'self' 'nonce-([\w-]+)'", policy)
    assert found is not None, policy
    return found.group(1)


async def test_pages_and_the_api_refuse_framing_and_sniffing(client: Client, db: Any) -> None:
    await load_reference(db)
    manager = await token(db, "manager")
    for response in (await client.get("/login"), await client.get("/api/contracts", headers=bearer(manager))):
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    schema = await client.get("/schema/swagger")
    assert schema.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert schema.headers["x-frame-options"] == "DENY"


async def test_every_inline_script_of_a_page_carries_the_nonce_of_its_answer(client: Client, db: Any) -> None:
    await load_reference(db)
    await sign_in(client, await token(db, "manager"))
    seen: set[str] = set()
    checked = 0
    for path in ("/staffing", "/staffing?contract=reference", "/portal?contract=reference", "/supervisor"):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        nonce = nonce_of(response)
        seen.add(nonce)
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", response.text)
        assert all(f'nonce="{nonce}"' in attributes for attributes in inline), (path, inline)
        checked += len(inline)
        # No inline event handler: the policy would silently block it.
        assert not re.search(r"<[^>]+\son[a-z]+=", response.text), path
    assert len(seen) == 4  # a fresh nonce per answer
    assert checked >= 1, "no inline script was looked at"


async def test_over_https_browsers_are_told_to_stay_on_https(client: Client) -> None:
    assert "strict-transport-security" not in (await client.get("/login")).headers  # plain HTTP on localhost
    answer = await client.get("https://ops.example/login")
    assert answer.status_code == 200
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
