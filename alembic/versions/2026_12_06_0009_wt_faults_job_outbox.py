"""job outbox

Jobs asked for in a transaction are written to `job_outbox` in that transaction and deleted once the queue
has them: a failed enqueue (Redis down, the process killed after its commit) stays and is retried.

Revision ID: 0009_wt_faults
Revises: 0008
Create Date: 2026-12-06 07:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_wt_faults"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("job_id", sa.String(length=200), nullable=True),
        sa.Column("kwargs", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
    )
    op.create_index(op.f("ix_job_outbox_next_attempt_at"), "job_outbox", ["next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_job_outbox_next_attempt_at"), table_name="job_outbox")
    op.drop_table("job_outbox")
