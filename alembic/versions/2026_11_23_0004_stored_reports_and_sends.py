"""stored reports and sends

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 00:22:00.070891
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import ops.db

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('delivery', sa.String(length=100), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('report_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claimed_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_report_sends_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_sends')),
    sa.UniqueConstraint('contract_id', 'delivery', 'period_start', 'period_end', 'channel', name='uq_report_sends_key')
    )
    with op.batch_alter_table('report_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_sends_contract_id'), ['contract_id'], unique=False)

    op.create_table('stored_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('delivery', sa.String(length=100), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('data_cutoff', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_stored_reports_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_reports')),
    sa.UniqueConstraint('contract_id', 'delivery', 'period_start', 'period_end', 'format', name='uq_stored_reports_key')
    )
    with op.batch_alter_table('stored_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_reports_contract_id'), ['contract_id'], unique=False)

    op.create_table('report_send_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('send_id', sa.Integer(), nullable=False),
    sa.Column('at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['send_id'], ['report_sends.id'], name=op.f('fk_report_send_attempts_send_id_report_sends'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_send_attempts'))
    )
    with op.batch_alter_table('report_send_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_send_attempts_send_id'), ['send_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_send_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_send_attempts_send_id'))

    op.drop_table('report_send_attempts')
    with op.batch_alter_table('stored_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_reports_contract_id'))

    op.drop_table('stored_reports')
    with op.batch_alter_table('report_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_sends_contract_id'))

    op.drop_table('report_sends')
