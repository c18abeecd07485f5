"""Secrets stay secret: tokens, the CRM webhook secret, the SMTP password, the report webhook secret
and the connection URLs' passwords never show in an answer, a log line, an export or a repr."""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import SecretStr
from sqlalchemy import select

from ops.app import create_app
from ops.auth_models import ApiToken
from ops.cli.main import main
from ops.config import Settings
from ops.contracts.models import Contract
from ops.reports.delivery.sending import send_due
from ops.reports.models import ReportSend, SendAttempt
from tests.helpers import bearer, load_reference, token
from tests.mailers import self_signed, server_context

CRM_SECRET = "crm-hmac-Vq93kLw0"
SMTP_PASSWORD = "smtp-pass-Zq81xTe"
REPORT_SECRET = "report-hmac-Jd72pQs"


def spelled(secret: str) -> list[str]:
    """The secret and the forms it travels in (SMTP AUTH PLAIN / LOGIN send it base64-encoded)."""
    forms = [secret, base64.b64encode(secret.encode()).decode()]
    forms += [base64.b64encode(f"\0{user}\0{secret}".encode()).decode() for user in ("", "ops-mailer")]
    return forms


def shows(text: str, secret: str) -> list[str]:
    return [form for form in spelled(secret) if form in text]


def app_logs(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged in the test, minus the fake SMTP server's own trace of the conversation."""
    return "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records if not r.name.startswith("mail.")
    )


@pytest.fixture
def app_settings(sqlite_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=sqlite_url, reports_dir=tmp_path / "reports", scheduler="off", database_pool=False)


@pytest.fixture
async def client(app_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(app_settings)) as c:
        yield c


# --- settings --------------------------------------------------------------------------------------------


def test_settings_repr_masks_every_password() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://ops:db-pass-K2@db.internal:5432/ops",
        redis_url="redis://:redis-pass-H7@cache.internal:6379/0",
        smtp_user="ops-mailer",
        smtp_password=SecretStr(SMTP_PASSWORD),
        report_webhook_secret=SecretStr(REPORT_SECRET),
    )
    for text in (repr(settings), str(settings)):
        for secret in ("db-pass-K2", "redis-pass-H7", SMTP_PASSWORD, REPORT_SECRET):
            assert secret not in text
        # What helps an operator read a log stays: which host and user.
        assert "postgresql+asyncpg://ops:***@db.internal:5432/ops" in text
        assert "redis://:***@cache.internal:6379/0" in text
    # The URL the app connects with is unchanged.
    assert settings.database_url == "postgresql+asyncpg://ops:db-pass-K2@db.internal:5432/ops"


# --- API tokens ------------------------------------------------------------------------------------------


async def test_a_token_is_printed_once_and_stored_only_as_its_hash(
    cli: CliRunner, client: AsyncTestClient[Litestar]
) -> None:
    db = client.app.state.sessionmaker
    created = await asyncio.to_thread(cli.invoke, main, ["token", "create", "--role", "manager", "--name", "ana"])
    assert created.exit_code == 0, created.output
    value = created.output.strip()
    assert value.startswith("ops_") and len(value) > 40
    async with db() as session:
        row = (await session.execute(select(ApiToken).where(ApiToken.name == "ana"))).scalar_one()
    assert row.token_hash == hashlib.sha256(value.encode()).hexdigest()
    columns = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert not [c for c in columns if value in c or value[12:] in c], "the clear token is stored"
    assert (await client.get("/api/contracts", headers=bearer(value))).status_code == 200


async def test_a_refused_token_is_not_echoed(
    client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    guess = "ops_guessed-token-8f3kd92mxq"
    api = await client.get("/api/contracts", headers=bearer(guess))
    assert api.status_code == 401
    page = await client.post("/login", data={"token": guess, "next": "/"})
    assert page.status_code == 401
    assert guess not in api.text + page.text
    assert guess not in app_logs(caplog)


async def test_the_sign_in_cookie_is_secure_over_https(client: AsyncTestClient[Litestar]) -> None:
    db = client.app.state.sessionmaker
    await load_reference(db)
    value = await token(db, "client", "reference")
    over_https = await client.post(
        "https://testserver.local/login", data={"token": value, "next": "/"}, follow_redirects=False
    )
    cookie = over_https.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    client.cookies.clear()
    # Plain HTTP (a laptop's localhost) still signs in.
    over_http = await client.post("/login", data={"token": value, "next": "/"}, follow_redirects=False)
    assert over_http.status_code == 303
    assert "secure" not in over_http.headers["set-cookie"].lower()


# --- the CRM webhook secret ----------------------------------------------------------------------------


def crm_headers(body: bytes, secret: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-ops-contract": "reference",
        "x-ops-timestamp": timestamp,
        "x-ops-signature": f"sha256={mac}",
    }


async def test_the_crm_secret_is_never_shown(
    client: AsyncTestClient[Litestar],
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OPS_CRM_SECRET_REFERENCE", CRM_SECRET)
    caplog.set_level(logging.DEBUG)
    db = client.app.state.sessionmaker
    await load_reference(db)
    body = json.dumps({"external_id": "w-1", "channel": "crm", "subject": "Sem sinal"}).encode()

    forged = await client.post("/api/webhooks/crm", content=body, headers=crm_headers(body, "a-guess"))
    assert forged.status_code == 401
    right_signature = crm_headers(body, CRM_SECRET)["x-ops-signature"]
    assert right_signature.removeprefix("sha256=") not in forged.text, "the answer tells the right signature"
    good = await client.post("/api/webhooks/crm", content=body, headers=crm_headers(body, CRM_SECRET))
    assert good.status_code == 201, good.text

    manager = bearer(await token(db, "manager"))
    answers = [forged, good]
    answers += [await client.get(p, headers=manager) for p in ("/api/contracts/reference", "/api/tickets")]
    answers.append(await client.get("/api/contracts/reference/changes", headers=manager))
    exported = await asyncio.to_thread(cli.invoke, main, ["contract", "export", "reference"])
    assert exported.exit_code == 0, exported.output
    assert "crm_webhook_secret_env: OPS_CRM_SECRET_REFERENCE" in exported.output  # the name, never the value
    for text in [*(a.text for a in answers), exported.output, app_logs(caplog)]:
        assert not shows(text, CRM_SECRET)


# --- report delivery: SMTP password and report webhook secret ----------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RefusingMailer:
    """An SMTP server (STARTTLS on a throwaway certificate) that refuses every login, noting what it was sent."""

    def __init__(self) -> None:
        self.passwords: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        self.passwords.append(auth_data.password.decode())
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


@pytest.fixture
def refusing_smtp(tmp_path: Path) -> Iterator[tuple[RefusingMailer, int, Path]]:
    mailer, port = RefusingMailer(), free_port()
    cert, key = self_signed(tmp_path)
    controller = Controller(
        mailer, hostname="127.0.0.1", port=port, authenticator=mailer, tls_context=server_context(cert, key)
    )
    controller.start()
    try:
        yield mailer, port, cert
    finally:
        with warnings.catch_warnings():  # aiosmtpd leaves its socket to the garbage collector
            warnings.simplefilter("ignore", ResourceWarning)
            controller.stop()
            gc.collect()


class Refuser(BaseHTTPRequestHandler):
    """A report webhook receiver that answers 401 to everything and keeps the headers it got."""

    received: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        Refuser.received.append(dict(self.headers.items()))
        self.send_response(401)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def refusing_receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuser)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def _pending_send(db: Any, channel: str, target: str) -> int:
    async with db.begin() as session:
        contract_id = (await session.execute(select(Contract.id).where(Contract.code == "reference"))).scalar_one()
        send = ReportSend(
            contract_id=contract_id,
            delivery="monthly",
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 28),
            channel=channel,
            target=target,
            report_ids=[],
            status="pending",
            attempts=0,
        )
        session.add(send)
        await session.flush()
        return send.id


async def _failure_everywhere(client: AsyncTestClient[Litestar], send_id: int) -> str:
    """What a failed send left behind: its last error, its attempt, and the sends API answer."""
    db = client.app.state.sessionmaker
    async with db() as session:
        send = await session.get(ReportSend, send_id)
        assert send is not None and send.status == "failed"
        attempts = (await session.execute(select(SendAttempt.error).where(SendAttempt.send_id == send_id))).scalars()
        stored = [send.last_error or "", *(a or "" for a in attempts)]
    listed = await client.get("/api/reports/reference/sends", headers=bearer(await token(db, "manager")))
    assert listed.status_code == 200
    return "\n".join([*stored, listed.text])


async def test_a_refused_smtp_login_does_not_log_the_password(
    client: AsyncTestClient[Litestar],
    app_settings: Settings,
    refusing_smtp: tuple[RefusingMailer, int, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer, port, cert = refusing_smtp
    caplog.set_level(logging.DEBUG)
    db = client.app.state.sessionmaker
    await load_reference(db)
    send_id = await _pending_send(db, "email", "sla@client.example")
    settings = app_settings.model_copy(
        update={
            "smtp_port": port,
            "smtp_ca_file": cert,
            "smtp_user": "ops-mailer",
            "smtp_password": SecretStr(SMTP_PASSWORD),
        }
    )
    (outcome,) = await send_due(db, settings, send_ids=[send_id])
    assert outcome.status == "failed"
    assert outcome.error is not None and "SMTPAuthenticationError" in outcome.error
    assert SMTP_PASSWORD in mailer.passwords  # the login really was tried with it, under TLS
    left = await _failure_everywhere(client, send_id)
    assert "SMTPAuthenticationError" in left
    assert not shows(left, SMTP_PASSWORD)
    assert not shows(app_logs(caplog), SMTP_PASSWORD)
    assert "report send" in app_logs(caplog)  # the failure itself is logged


async def test_a_refused_report_webhook_does_not_log_the_secret(
    client: AsyncTestClient[Litestar],
    app_settings: Settings,
    refusing_receiver: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    db = client.app.state.sessionmaker
    await load_reference(db)
    send_id = await _pending_send(db, "webhook", refusing_receiver)
    settings = app_settings.model_copy(update={"report_webhook_secret": SecretStr(REPORT_SECRET)})
    Refuser.received.clear()
    (outcome,) = await send_due(db, settings, send_ids=[send_id])
    assert outcome.status == "failed"
    assert outcome.error is not None and "401" in outcome.error
    (headers,) = Refuser.received
    assert any(v.startswith("t=") and ",v1=" in v for v in headers.values()), "the call was signed"
    assert not shows(json.dumps(headers), REPORT_SECRET), "the secret itself went over the wire"
    assert not shows(await _failure_everywhere(client, send_id), REPORT_SECRET)
    assert not shows(app_logs(caplog), REPORT_SECRET)


def test_webhook_errors_never_carry_url_credentials() -> None:
    from ops.reports.delivery.sending import redact_urls

    text = "ConnectError: POST https://bot:hunter2@hooks.example/ops?token=abc123 failed"
    assert redact_urls(text) == "ConnectError: POST https://***@hooks.example/ops?*** failed"


async def test_a_token_in_a_webhook_address_is_not_logged_by_the_http_client(
    client: AsyncTestClient[Litestar],
    app_settings: Settings,
    refusing_receiver: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # httpx logs each request's full address at INFO, the level a server runs at; a receiver's address may carry
    # its own token.
    caplog.set_level(logging.INFO)
    db = client.app.state.sessionmaker
    await load_reference(db)
    send_id = await _pending_send(db, "webhook", f"{refusing_receiver}?token=address-secret-4242")
    settings = app_settings.model_copy(update={"report_webhook_secret": SecretStr(REPORT_SECRET)})
    (outcome,) = await send_due(db, settings, send_ids=[send_id])
    assert outcome.status == "failed", outcome.error
    assert outcome.error is not None and "401" in outcome.error, outcome.error
    assert not shows(app_logs(caplog), "address-secret-4242")
