"""Real local SMTP servers for the delivery tests: with STARTTLS or implicit TLS on a throwaway certificate, or
in clear; each notes what it received and whether TLS was on when it did."""

from __future__ import annotations

import email
import email.policy
import gc
import socket
import ssl
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), valid for a day: the test's own CA, trusted by nothing else."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert)),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def under_tls(server: Any, session: Any) -> bool:
    """After STARTTLS (session.ssl) or on an SMTPS connection (its transport is TLS from the start)."""
    return session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None


@dataclass
class Mailer:
    """Accepts every login and message, noting for each whether the session was under TLS."""

    logins: list[tuple[str, bool]] = field(default_factory=list)  # (password, under TLS)
    messages: list[tuple[Any, bool]] = field(default_factory=list)  # (message, under TLS)
    accept_logins: bool = True

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        self.logins.append((auth_data.password.decode(), under_tls(server, session)))
        return AuthResult(success=self.accept_logins)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((message, under_tls(server, session)))
        return "250 OK"


@contextmanager
def running(mailer: Mailer, **kwargs: Any) -> Iterator[int]:
    """An aiosmtpd server on a free port of 127.0.0.1 (kwargs: tls_context, ssl_context, auth_require_tls...)."""
    port = free_port()
    controller = Controller(mailer, hostname="127.0.0.1", port=port, authenticator=mailer, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        # aiosmtpd leaves its listening socket to the garbage collector: collect it here, quietly.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            controller.stop()
            gc.collect()
