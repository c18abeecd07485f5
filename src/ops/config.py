"""Settings read from the environment (OPS_ prefix); nothing is read at import time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service reads from its environment.

    Secrets are SecretStr so that a settings object printed in a log never shows them.
    """

    # A refused value is never echoed in the error: OPS_DATABASE_URL carries a password.
    model_config = SettingsConfigDict(env_prefix="OPS_", env_file=None, extra="ignore", hide_input_in_errors=True)

    database_url: str = Field(
        default="sqlite+aiosqlite:///./ops.sqlite3",
        description="SQLAlchemy async URL; the embedded default is an SQLite file in the working directory.",
    )
    database_pool: bool = Field(
        default=True, description="Off: a connection per session (tests, whose event loops come and go)."
    )
    redis_url: str | None = Field(
        default=None, description="Unset: jobs run in-process. Set: they go through arq to `ops worker`."
    )
    scheduler: str = Field(
        default="embedded",
        description="embedded: the API process runs the schedule; off: a separate `ops scheduler` does.",
    )
    job_timeout_seconds: int = Field(
        default=600,
        description="A job running longer is cancelled and retried; a killed worker's job runs again 10 s after it.",
    )
    send_lease_seconds: int = Field(
        default=300,
        description="A report send still marked sending after this (its process died) is claimed and sent again.",
    )
    reports_dir: Path = Field(default=Path("./var/reports"), description="Where delivered reports are kept.")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "ops@localhost"
    smtp_tls: Literal["auto", "starttls", "implicit"] = Field(
        default="auto",
        description="How reports reach the SMTP server: implicit TLS (SMTPS), STARTTLS, or auto (implicit on port "
        "465, STARTTLS elsewhere). A server that offers no STARTTLS gets nothing.",
    )
    smtp_plain_relay: str | None = Field(
        default=None,
        description="A trusted local relay (its host, as in OPS_SMTP_HOST) that may take reports without TLS; "
        "never with OPS_SMTP_USER: a password never goes in clear.",
    )
    smtp_ca_file: Path | None = Field(
        default=None, description="CA certificates to trust for the SMTP server's TLS (default: the system's)."
    )
    report_webhook_secret: SecretStr | None = Field(
        default=None, description="Signs the reports posted to a contract's webhook_url (HMAC-SHA256)."
    )
    webhook_tolerance_seconds: int = Field(default=300, description="Max age of a signed CRM webhook.")
    max_body_bytes: int = Field(default=1_048_576, description="Largest request body accepted.")
    live_stream_seconds: float = Field(
        default=300,
        ge=0,
        le=3600,
        description="How long one live stream (/work/events) stays open; the page reopens it.",
    )
    max_ticket_body_chars: int = Field(default=20_000, description="Largest ticket body accepted.")
    import_max_rows: int = Field(
        default=1_000_000, gt=0, description="Most data rows one imported file (CSV or XLSX) may hold."
    )
    input_earliest: date = Field(
        default=date(2000, 1, 1), description="The earliest date any input may hold (tickets, contracts, weeks)."
    )
    input_future_years: int = Field(
        default=10, ge=1, le=50, description="How many years after today an input's date may be."
    )
    agent_token_hours: float = Field(
        default=12, gt=0, description="Default lifetime of an agent's token (a shift or so), in hours."
    )
    token_days: float = Field(
        default=365, gt=0, description="Default lifetime of manager, supervisor, client and integration tokens."
    )
    session_idle_hours: float = Field(
        default=12, gt=0, description="A page sign-in ends after this long without a request (and with its token)."
    )
    login_failures_per_minute: int = Field(default=10, gt=0, description="Failed sign-ins per address per minute.")
    bad_tokens_per_minute: int = Field(default=500, gt=0, description="Wrong bearer tokens per address per minute.")
    webhook_calls_per_minute: int = Field(default=1200, gt=0, description="CRM webhook calls per address per minute.")
    debug: bool = False

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, url: str) -> str:
        """The two databases ops runs on, with their async drivers. (A database out of reach, a file in a folder not
        there yet, is not refused here: the API answers 503 until it is back, and `ops migrate` says so in a line.)"""
        if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            return url
        raise ValueError(
            f"{hide_password(url)!r} is not a database ops runs on: "
            "sqlite+aiosqlite:///path/to/file.sqlite3 or postgresql+asyncpg://user@host:5432/name"
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # The connection URLs are plain strings that may carry a password: masked like the SecretStr fields.
        for name, value in super().__repr_args__():
            yield name, hide_password(value) if name in URL_FIELDS and isinstance(value, str) else value


URL_FIELDS = frozenset({"database_url", "redis_url"})


def hide_password(url: str) -> str:
    """The URL with the password of its user info replaced by ***. Split by hand, not by urlsplit: a password with
    an unencoded "#", "/" or "?" ends urlsplit's netloc early, and it was printed whole."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
