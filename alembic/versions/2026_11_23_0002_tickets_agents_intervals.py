"""tickets agents intervals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:17:27.134717
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import ops.db

revision: str = "0002"
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('protocol_counters',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_protocol_counters'))
    )
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('forecast_end', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_incidents_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_contract_id'), ['contract_id'], unique=False)

    op.create_table('positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_positions_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_positions')),
    sa.UniqueConstraint('contract_id', 'code', name=op.f('uq_positions_contract_id_code'))
    )
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_positions_contract_id'), ['contract_id'], unique=False)

    op.create_table('staffing_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('created_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('cost', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('lp_bound', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_staffing_plans_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staffing_plans')),
    sa.UniqueConstraint('contract_id', 'week_start', name=op.f('uq_staffing_plans_contract_id_week_start'))
    )
    with op.batch_alter_table('staffing_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staffing_plans_contract_id'), ['contract_id'], unique=False)

    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.Column('idle_since', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_assigned_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('supervisor', sa.Boolean(), nullable=False),
    sa.Column('created_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_agents_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_agents_position_id_positions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents'))
    )
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agents_contract_id'), ['contract_id'], unique=False)

    op.create_table('interval_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('interval_start', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('offered', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('answered_within', sa.Integer(), nullable=False),
    sa.Column('abandoned', sa.Integer(), nullable=False),
    sa.Column('abandoned_within', sa.Integer(), nullable=False),
    sa.Column('short_abandons', sa.Integer(), nullable=False),
    sa.Column('handle_seconds', sa.Float(), nullable=False),
    sa.Column('wait_seconds', sa.Float(), nullable=False),
    sa.Column('staffed_seconds', sa.Float(), nullable=True),
    sa.Column('answer_within_seconds', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_interval_stats_queue_id_queues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interval_stats')),
    sa.UniqueConstraint('queue_id', 'interval_start', name=op.f('uq_interval_stats_queue_id_interval_start'))
    )
    with op.batch_alter_table('interval_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interval_stats_queue_id'), ['queue_id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('reason_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('protocol', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('customer', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('area_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('sort_key', sa.Float(), nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('classification', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('assigned_agent_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('awaiting_reply_since', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_due', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_response_due', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_due', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_breached', sa.Boolean(), nullable=False),
    sa.Column('resolution_breached', sa.Boolean(), nullable=False),
    sa.Column('first_response_minutes', sa.Float(), nullable=True),
    sa.Column('resolution_minutes', sa.Float(), nullable=True),
    sa.Column('warned_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('checklist', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_agent_id'], ['agents.id'], name=op.f('fk_tickets_assigned_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_tickets_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_tickets_incident_id_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_tickets_queue_id_queues')),
    sa.ForeignKeyConstraint(['reason_id'], ['reasons.id'], name=op.f('fk_tickets_reason_id_reasons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('contract_id', 'source', 'external_id', name=op.f('uq_tickets_contract_id_source_external_id')),
    sa.UniqueConstraint('protocol', name=op.f('uq_tickets_protocol'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_area_received', ['contract_id', 'area_key', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_assigned_agent_id'), ['assigned_agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_queue_id'), ['queue_id'], unique=False)
        batch_op.create_index('ix_tickets_queue_status_sort', ['queue_id', 'status', 'sort_key'], unique=False)

    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_events_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_events_ticket_id'))

    op.drop_table('ticket_events')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_queue_status_sort')
        batch_op.drop_index(batch_op.f('ix_tickets_queue_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_incident_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_contract_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_assigned_agent_id'))
        batch_op.drop_index('ix_tickets_area_received')

    op.drop_table('tickets')
    with op.batch_alter_table('interval_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interval_stats_queue_id'))

    op.drop_table('interval_stats')
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agents_contract_id'))

    op.drop_table('agents')
    with op.batch_alter_table('staffing_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staffing_plans_contract_id'))

    op.drop_table('staffing_plans')
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_positions_contract_id'))

    op.drop_table('positions')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_contract_id'))

    op.drop_table('incidents')
    op.drop_table('protocol_counters')
