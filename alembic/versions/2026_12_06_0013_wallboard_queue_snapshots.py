"""queue snapshots of the voice wallboard

The latest telephony reading of each voice queue (one row per queue, replaced by newer readings) and today's
counters so far, shared by every API process and the AMI poller.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queue_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("platform_queue", sa.String(length=128), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("calls_waiting", sa.Integer(), nullable=False),
        sa.Column("longest_wait_seconds", sa.Integer(), nullable=False),
        sa.Column("agents_logged_in", sa.Integer(), nullable=False),
        sa.Column("agents_available", sa.Integer(), nullable=False),
        sa.Column("agents_on_call", sa.Integer(), nullable=False),
        sa.Column("agents_paused", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("counted_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("answered_within", sa.Integer(), nullable=False),
        sa.Column("abandoned_within", sa.Integer(), nullable=False),
        sa.Column("short_abandons", sa.Integer(), nullable=False),
        sa.Column("raw", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_queue_snapshots_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_queue_snapshots_queue_id_queues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_snapshots")),
        sa.UniqueConstraint("queue_id", name=op.f("uq_queue_snapshots_queue_id")),
    )
    op.create_index(op.f("ix_queue_snapshots_contract_id"), "queue_snapshots", ["contract_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_queue_snapshots_contract_id"), table_name="queue_snapshots")
    op.drop_table("queue_snapshots")
