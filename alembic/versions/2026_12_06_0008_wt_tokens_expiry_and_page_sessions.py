"""token expiry and page sessions (wt-tokens)

Every API token gets an `expires_at`. Tokens issued before this revision had none: they are given 365 days from
the upgrade, so that no client, integration or agent is cut off by the upgrade itself (`ops token revoke` ends
any of them sooner). A page sign-in becomes its own server-side record, `page_sessions`: the cookie carries a
random session id (stored only as its SHA-256), never the API token, and the record can be revoked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 07:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import ops.db

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", ops.db.UTCDateTime(timezone=True), nullable=True))
    tokens = sa.table("api_tokens", sa.column("expires_at", ops.db.UTCDateTime(timezone=True)))
    op.get_bind().execute(tokens.update().values(expires_at=datetime.now(UTC) + timedelta(days=365)))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=ops.db.UTCDateTime(timezone=True), nullable=False)

    op.create_table(
        "page_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", ops.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", ops.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", ops.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_page_sessions_token_id_api_tokens"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_page_sessions_secret_hash")),
    )
    op.create_index(op.f("ix_page_sessions_token_id"), "page_sessions", ["token_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_page_sessions_token_id"), table_name="page_sessions")
    op.drop_table("page_sessions")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
