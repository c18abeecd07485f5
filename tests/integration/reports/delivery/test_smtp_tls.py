"""Reports go to the SMTP server under TLS (STARTTLS or implicit), with or without a user, unless the server is
the trusted local relay; a password never goes in clear. Against real local SMTP servers."""

from __future__ import annotations

import ssl
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from ops.config import Settings
from ops.contracts.models import Contract
from ops.reports.delivery.sending import MailSecurityError, send_due, smtp_security, smtp_send
from ops.reports.models import ReportSend
from tests.helpers import bearer, load_reference, token
from tests.mailers import Mailer, running, self_signed, server_context

PASSWORD = "s3cret-mailer-pass"  # checked never to travel in clear


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return server_context(*certificate)


def mail_settings(port: int, ca: Path | None, **update: Any) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_ca_file=ca, smtp_sender="ops@bpo.example", **update)


def message() -> EmailMessage:
    out = EmailMessage()
    out["Subject"], out["From"], out["To"] = "SLA report", "ops@bpo.example", "sla@client.example"
    out.set_content("Penalty: R$ 12.345,67")
    return out


@pytest.fixture
def mailer() -> Mailer:
    return Mailer()


def test_starttls_before_the_login_and_the_report(
    mailer: Mailer, tls: ssl.SSLContext, certificate: tuple[Path, Path]
) -> None:
    with running(mailer, tls_context=tls, require_starttls=True) as port:
        settings = mail_settings(port, certificate[0], smtp_user="ops", smtp_password=SecretStr(PASSWORD))
        assert smtp_security(settings) == "starttls"
        smtp_send(settings, message())
    assert mailer.logins == [(PASSWORD, True)]
    ((sent, under_tls),) = mailer.messages
    assert under_tls and "12.345,67" in sent.get_content()


def test_without_a_user_the_report_still_goes_under_tls(
    mailer: Mailer, tls: ssl.SSLContext, certificate: tuple[Path, Path]
) -> None:
    with running(mailer, tls_context=tls) as port:
        smtp_send(mail_settings(port, certificate[0]), message())
    with running(mailer, ssl_context=tls) as port:  # SMTPS: TLS from the first byte
        smtp_send(mail_settings(port, certificate[0], smtp_tls="implicit"), message())
    assert [under_tls for _, under_tls in mailer.messages] == [True, True]
    assert mailer.logins == []


def test_a_server_without_starttls_gets_neither_the_password_nor_the_report(mailer: Mailer) -> None:
    with running(mailer, auth_require_tls=False) as port:  # offers AUTH PLAIN in clear
        with_user = mail_settings(port, None, smtp_user="ops", smtp_password=SecretStr(PASSWORD))
        for settings in (with_user, mail_settings(port, None)):
            with pytest.raises(MailSecurityError, match="offers no STARTTLS: reports are never sent in clear"):
                smtp_send(settings, message())
    assert mailer.logins == [] and mailer.messages == []


def test_an_untrusted_certificate_gets_nothing(mailer: Mailer, tls: ssl.SSLContext) -> None:
    with running(mailer, tls_context=tls) as port:
        settings = mail_settings(port, None, smtp_user="ops", smtp_password=SecretStr(PASSWORD))
        with pytest.raises(ssl.SSLCertVerificationError):
            smtp_send(settings, message())
    assert mailer.logins == [] and mailer.messages == []


def test_only_the_named_local_relay_takes_reports_in_clear_and_never_a_password(mailer: Mailer) -> None:
    with running(mailer, auth_require_tls=False) as port:
        relay = mail_settings(port, None, smtp_plain_relay="127.0.0.1")
        assert smtp_security(relay) == "plain"
        smtp_send(relay, message())
        elsewhere = mail_settings(port, None, smtp_plain_relay="relay.internal")
        with pytest.raises(MailSecurityError):
            smtp_send(elsewhere, message())
        with_user = relay.model_copy(update={"smtp_user": "ops", "smtp_password": SecretStr(PASSWORD)})
        with pytest.raises(MailSecurityError, match="a password never goes in clear"):
            smtp_send(with_user, message())
    assert [under_tls for _, under_tls in mailer.messages] == [False]
    assert mailer.logins == []


async def test_a_refused_send_is_recorded_and_the_sends_api_never_shows_url_credentials(
    client: Any, db: Any, settings: Settings, mailer: Mailer
) -> None:
    await load_reference(db)
    hook = "https://bob:hunter2@hooks.client.example/ops?key=abc123"
    async with db.begin() as session:
        contract_id = (await session.execute(select(Contract.id).where(Contract.code == "reference"))).scalar_one()
        for channel, target in (("email", "sla@client.example"), ("webhook", hook)):
            session.add(
                ReportSend(
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
            )
    with running(mailer, auth_require_tls=False) as port:
        update = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_user": "ops", "smtp_password": SecretStr(PASSWORD)}
        outcomes = await send_due(db, settings.model_copy(update=update))
    assert {o.channel: o.status for o in outcomes} == {"email": "failed", "webhook": "failed"}
    assert mailer.logins == [] and mailer.messages == []
    listed = await client.get("/api/reports/reference/sends", headers=bearer(await token(db, "manager")))
    assert listed.status_code == 200
    by_channel = {s["channel"]: s for s in listed.json()}
    assert "offers no STARTTLS" in by_channel["email"]["last_error"]
    assert by_channel["webhook"]["target"] == "https://***@hooks.client.example/ops?***"
    assert "hunter2" not in listed.text and "abc123" not in listed.text and PASSWORD not in listed.text
