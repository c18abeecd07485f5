"""Faults at the HTTP edge: 503 with Retry-After when the database is out of reach (never 500), and every 500
logged with its traceback under the request id that the response carries."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect
from litestar.testing import AsyncTestClient
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ops.app import create_app
from ops.config import Settings
from ops.sessions import SESSION_COOKIE
from tests.conftest import PG_SKIP, PG_URL
from tests.helpers import bearer, load_reference, token
from tests.tcp_proxy import TcpProxy


@get("/api/test-boom", operation_id="TestBoom", exclude_from_auth=True)
async def boom() -> None:
    raise RuntimeError("the handler broke: kaboom-7431")


async def test_a_failing_handler_answers_500_with_the_request_id_it_logged(
    app: Litestar, caplog: pytest.LogCaptureFixture
) -> None:
    app.register(boom)
    async with AsyncTestClient(app=app) as client:
        with caplog.at_level(logging.ERROR, logger="ops.http"):
            response = await client.get("/api/test-boom")
    assert response.status_code == 500
    rid = response.headers["X-Request-ID"]
    assert response.json() == {"status_code": 500, "detail": "Internal Server Error", "request_id": rid}
    assert "kaboom" not in response.text  # the traceback goes to the log, not to the caller
    [record] = [r for r in caplog.records if rid in r.getMessage()]
    assert record.levelno == logging.ERROR and "/api/test-boom" in record.getMessage()
    assert record.exc_info is not None and "kaboom-7431" in caplog.text and "Traceback" in caplog.text


@post("/api/test-same-key", operation_id="TestSameKey", exclude_from_auth=True)
async def same_key(db_session: NamedDependency[AsyncSession]) -> None:
    # What a race on a unique key comes to: the second insert of one key, after the first was stored.
    await db_session.execute(
        text("INSERT INTO clients (id, code, name) VALUES (424242, 'race-client', 'first')"),
    )
    await db_session.execute(
        text("INSERT INTO clients (id, code, name) VALUES (424243, 'race-client', 'second')"),
    )


async def test_a_unique_key_taken_by_a_concurrent_request_answers_409_not_500(app: Litestar, db: Any) -> None:
    app.register(same_key)
    async with AsyncTestClient(app=app) as client:
        response = await client.post("/api/test-same-key")
    assert response.status_code == 409, response.text
    assert "send it again" in response.json()["detail"]
    async with db() as session:  # the request's transaction was rolled back: nothing half-stored
        assert (await session.execute(text("SELECT count(*) FROM clients WHERE code = 'race-client'"))).scalar() == 0


async def test_the_request_id_is_the_callers_when_it_is_plain_and_a_new_one_otherwise(client: Any) -> None:
    given = await client.get("/health/live", headers={"X-Request-ID": "crm-batch-42.7"})
    assert given.headers["X-Request-ID"] == "crm-batch-42.7"
    hostile = await client.get("/health/live", headers={"X-Request-ID": "a b\tc<script>" + "x" * 200})
    made = hostile.headers["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()
    again = await client.get("/health/live")
    assert again.headers["X-Request-ID"] not in (made, "crm-batch-42.7")
    # Errors carry it too: a 404 and a 401.
    assert (await client.get("/api/nope", headers={"X-Request-ID": "r-404"})).headers["X-Request-ID"] == "r-404"
    assert (await client.get("/api/contracts", headers={"X-Request-ID": "r-401"})).headers["X-Request-ID"] == "r-401"


def _unreachable_app(tmp_path: Path, url: str) -> Litestar:
    return create_app(Settings(database_url=url, reports_dir=tmp_path / "r", scheduler="off", database_pool=False))


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:1/ops",  # nothing listens on port 1: connection refused
        "sqlite+aiosqlite:///{tmp}/gone/ops.sqlite3",  # the database's folder is not there
    ],
    ids=["postgres-closed-port", "sqlite-missing-file"],
)
async def test_a_database_out_of_reach_answers_503_with_retry_after_on_api_and_pages(
    tmp_path: Path, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = _unreachable_app(tmp_path, url.format(tmp=tmp_path))
    async with AsyncTestClient(app=app) as client:
        api = await client.get("/api/contracts", headers=bearer("some-token"))
        assert api.status_code == 503, api.text
        assert api.headers["Retry-After"] == "5"
        assert api.json()["request_id"] == api.headers["X-Request-ID"]
        client.cookies.set(SESSION_COOKIE, "some-session")
        page = await client.get("/work", headers={"Accept": "text/html", "Accept-Language": "es-AR"})
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert "text/html" in page.headers["content-type"]
        assert "No disponible por el momento" in page.text and page.headers["X-Request-ID"] in page.text
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # an outage is not a bug


PROXIES: list[TcpProxy] = []


@post("/api/test-cut-before-commit", operation_id="TestCutBeforeCommit", exclude_from_auth=True)
async def cut_before_commit(db_session: NamedDependency[AsyncSession]) -> dict[str, str]:
    await db_session.execute(text("INSERT INTO clients (code, name) VALUES ('cut-client', 'cut')"))
    PROXIES[-1].cut()  # the database goes away between the handler's work and the request's commit
    return {"stored": "yes"}


@post("/test-cut-form", operation_id="TestCutForm", exclude_from_auth=True, status_code=303)
async def cut_form(db_session: NamedDependency[AsyncSession]) -> Redirect:
    await db_session.execute(text("INSERT INTO clients (code, name) VALUES ('cut-form', 'cut')"))
    PROXIES[-1].cut()
    return Redirect("/work")  # a page form's answer: it commits too


@pytest.fixture
def pg_url() -> str:
    if not PG_URL:
        pytest.skip(PG_SKIP)
    from tests.conftest import _truncate_pg

    _truncate_pg(PG_URL)
    return PG_URL


@pytest.mark.postgres
async def test_postgres_cut_mid_service_answers_503_then_recovers_by_itself(tmp_path: Path, pg_url: str) -> None:
    real = make_url(pg_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    port = proxy.start()
    url = real.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, reports_dir=tmp_path / "r", scheduler="off", database_pool=False))
    try:
        await _cut_and_restore(app, proxy)
    finally:
        proxy.close()


async def _cut_and_restore(app: Litestar, proxy: TcpProxy) -> None:
    async with AsyncTestClient(app=app) as client:
        await load_reference(app.state.sessionmaker)
        manager = bearer(await token(app.state.sessionmaker, "manager"))
        assert (await client.get("/api/contracts", headers=manager)).status_code == 200
        proxy.cut()
        cut = await client.get("/api/contracts", headers=manager)
        assert cut.status_code == 503 and cut.headers["Retry-After"] == "5", cut.text
        proxy.start()  # the database is back on the same address
        statuses = [(await client.get("/api/contracts", headers=manager)).status_code for _ in range(3)]
        assert statuses[-1] == 200 and 500 not in statuses


@pytest.mark.postgres
async def test_a_commit_that_fails_answers_503_never_the_success(tmp_path: Path, pg_url: str) -> None:
    real = make_url(pg_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    PROXIES.append(proxy)
    port = proxy.start()
    url = real.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, reports_dir=tmp_path / "r", scheduler="off", database_pool=False))
    app.register(cut_before_commit)
    app.register(cut_form)
    try:
        async with AsyncTestClient(app=app) as client:
            response = await client.post("/api/test-cut-before-commit", headers={"X-Request-ID": "cut-1"})
            assert response.status_code == 503, response.text  # before: 201 {"stored": "yes"}, and nothing stored
            assert response.headers["Retry-After"] == "5" and response.headers["X-Request-ID"] == "cut-1"
            assert response.json() == {
                "status_code": 503,
                "detail": "the database or Redis cannot be reached: try again",
                "request_id": "cut-1",
            }
            proxy.start()
            page = await client.post(
                "/test-cut-form", headers={"Accept": "text/html", "Accept-Language": "pt-BR"}, follow_redirects=False
            )
            assert page.status_code == 503 and "location" not in page.headers
            assert page.headers["content-type"].startswith("text/html")
            assert "Indisponível no momento" in page.text and page.headers["X-Request-ID"] in page.text
            proxy.start()
            async with app.state.sessionmaker() as session:
                stored = await session.execute(text("SELECT count(*) FROM clients WHERE code LIKE 'cut-%'"))
                assert stored.scalar() == 0
    finally:
        proxy.close()


@pytest.mark.postgres
async def test_tickets_sent_across_a_database_cut_are_stored_when_acknowledged_and_refused_503_otherwise(
    tmp_path: Path, pg_url: str
) -> None:
    from ops.queues.models import Ticket
    from tests.integration.queues.conftest import delivery

    real = make_url(pg_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    port = proxy.start()
    url = real.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, reports_dir=tmp_path / "r", scheduler="off", database_pool=False))
    answers: dict[str, int] = {}
    try:
        await load_reference(app.state.sessionmaker)
        crm = bearer(await token(app.state.sessionmaker, "supervisor", name="crm"))
        async with AsyncTestClient(app=app) as client:
            for n in range(45):
                if n == 15:
                    proxy.cut()
                if n == 30:
                    proxy.start()
                external_id = f"CUT-{n:03d}"
                response = await client.post("/api/tickets", json=delivery(external_id=external_id), headers=crm)
                answers[external_id] = response.status_code
                if response.status_code == 503:
                    assert response.headers["Retry-After"] == "5"
        async with app.state.sessionmaker() as session:
            stored = set((await session.execute(select(Ticket.external_id))).scalars())
    finally:
        proxy.close()
    assert set(answers.values()) <= {201, 503}, answers
    acknowledged = {k for k, v in answers.items() if v == 201}
    assert stored == acknowledged  # every 201 stored, nothing stored that was refused
    assert [answers[f"CUT-{n:03d}"] for n in range(15, 30)] == [503] * 15
    assert all(answers[f"CUT-{n:03d}"] == 201 for n in (*range(15), *range(31, 45)))  # back by itself
