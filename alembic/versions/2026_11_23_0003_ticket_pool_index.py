"""ticket pool index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POOL_WHERE = sa.text("assigned_agent_id IS NULL AND status IN ('new', 'open')")


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_pool",
            ["queue_id", "sort_key"],
            unique=False,
            sqlite_where=POOL_WHERE,
            postgresql_where=POOL_WHERE,
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_pool", sqlite_where=POOL_WHERE, postgresql_where=POOL_WHERE)
