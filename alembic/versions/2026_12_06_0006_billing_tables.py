"""billing tables

The contract's money: index series and their revisions, readjustments and the price history, measurements with
their lines and events, adjustments carried forward, invoices and credit notes (gapless counters, hash chain),
payments, disputes and their steps; time logged on tickets, on-call shifts, and executed reinforcement plans.
Money is exact: NUMERIC on PostgreSQL, text on SQLite (ops.db.ExactDecimal).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 04:56:43.048452
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import ops.db

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('document_counters',
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_document_counters'))
    )
    counters = sa.table('document_counters', sa.column('name', sa.String), sa.column('last', sa.Integer))
    op.bulk_insert(counters, [{'name': name, 'last': 0} for name in ('invoice', 'credit_note', 'chain')])
    op.create_table('index_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('index', sa.String(length=40), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('old_pct', ops.db.ExactDecimal(precision=12, scale=4), nullable=False),
    sa.Column('new_pct', ops.db.ExactDecimal(precision=12, scale=4), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('recorded_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_revisions'))
    )
    op.create_table('index_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('index', sa.String(length=40), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('pct', ops.db.ExactDecimal(precision=12, scale=4), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('recorded_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_values')),
    sa.UniqueConstraint('index', 'month', name=op.f('uq_index_values_index_month'))
    )
    op.create_table('measurements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('total', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('report_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('submitted_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_measurements_contract_id_contracts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurements')),
    sa.UniqueConstraint('contract_id', 'month', 'version', name=op.f('uq_measurements_contract_id_month_version'))
    )
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurements_contract_id'), ['contract_id'], unique=False)

    op.create_table('oncall_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('start', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scheduled_end', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('specialists', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('ended_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_oncall_shifts_contract_id_contracts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oncall_shifts'))
    )
    with op.batch_alter_table('oncall_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oncall_shifts_contract_id'), ['contract_id'], unique=False)

    op.create_table('plan_executions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('confirmed_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by', sa.String(length=200), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_plan_executions_contract_id_contracts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_executions')),
    sa.UniqueConstraint('contract_id', 'week_start', name=op.f('uq_plan_executions_contract_id_week_start'))
    )
    with op.batch_alter_table('plan_executions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_executions_contract_id'), ['contract_id'], unique=False)

    op.create_table('readjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('anniversary', sa.Date(), nullable=False),
    sa.Column('index', sa.String(length=40), nullable=False),
    sa.Column('factor', ops.db.ExactDecimal(precision=18, scale=8), nullable=False),
    sa.Column('raw_factor', ops.db.ExactDecimal(precision=18, scale=8), nullable=False),
    sa.Column('floored', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('applied_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_readjustments_contract_id_contracts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readjustments')),
    sa.UniqueConstraint('contract_id', 'anniversary', name=op.f('uq_readjustments_contract_id_anniversary'))
    )
    with op.batch_alter_table('readjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readjustments_contract_id'), ['contract_id'], unique=False)

    op.create_table('contract_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('unit_price', ops.db.ExactDecimal(precision=16, scale=4), nullable=False),
    sa.Column('readjustment_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_prices_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['readjustment_id'], ['readjustments.id'], name=op.f('fk_contract_prices_readjustment_id_readjustments'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_prices')),
    sa.UniqueConstraint('contract_id', 'item', 'valid_from', name=op.f('uq_contract_prices_contract_id_item_valid_from'))
    )
    with op.batch_alter_table('contract_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_prices_contract_id'), ['contract_id'], unique=False)

    op.create_table('executed_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('execution_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('queue', sa.String(length=50), nullable=False),
    sa.Column('start', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agents', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_executed_shifts_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['execution_id'], ['plan_executions.id'], name=op.f('fk_executed_shifts_execution_id_plan_executions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_executed_shifts'))
    )
    with op.batch_alter_table('executed_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_executed_shifts_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_executed_shifts_execution_id'), ['execution_id'], unique=False)

    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('chain_position', sa.Integer(), nullable=False),
    sa.Column('measurement_id', sa.Integer(), nullable=True),
    sa.Column('corrects_invoice_id', sa.Integer(), nullable=True),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('issued_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('gross', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('withheld', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('net', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('previous_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_path', sa.String(length=500), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('voided_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_by', sa.String(length=200), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    sa.Column('nfse_number', sa.String(length=60), nullable=True),
    sa.Column('nfse_code', sa.String(length=100), nullable=True),
    sa.Column('nfse_link', sa.String(length=500), nullable=True),
    sa.Column('nfse_value', ops.db.ExactDecimal(precision=16, scale=2), nullable=True),
    sa.Column('nfse_recorded_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_invoices_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['corrects_invoice_id'], ['invoices.id'], name=op.f('fk_invoices_corrects_invoice_id_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['measurement_id'], ['measurements.id'], name=op.f('fk_invoices_measurement_id_measurements'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('chain_position', name=op.f('uq_invoices_chain_position')),
    sa.UniqueConstraint('kind', 'number', name=op.f('uq_invoices_kind_number')),
    sa.UniqueConstraint('measurement_id', name=op.f('uq_invoices_measurement_id'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_contract_id'), ['contract_id'], unique=False)

    op.create_table('measurement_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measurement_id', sa.Integer(), nullable=False),
    sa.Column('at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['measurement_id'], ['measurements.id'], name=op.f('fk_measurement_events_measurement_id_measurements'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement_events'))
    )
    with op.batch_alter_table('measurement_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurement_events_measurement_id'), ['measurement_id'], unique=False)

    op.create_table('measurement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measurement_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quantity', ops.db.ExactDecimal(precision=18, scale=6), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('unit_price', ops.db.ExactDecimal(precision=16, scale=4), nullable=False),
    sa.Column('amount', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('sources', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('contested_reason', sa.Text(), nullable=True),
    sa.Column('contested_by', sa.String(length=200), nullable=True),
    sa.Column('contested_at', ops.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['measurement_id'], ['measurements.id'], name=op.f('fk_measurement_lines_measurement_id_measurements'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement_lines'))
    )
    with op.batch_alter_table('measurement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurement_lines_measurement_id'), ['measurement_id'], unique=False)

    op.create_table('billing_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('corrects_invoice_id', sa.Integer(), nullable=True),
    sa.Column('created_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('measurement_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_billing_adjustments_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['corrects_invoice_id'], ['invoices.id'], name=op.f('fk_billing_adjustments_corrects_invoice_id_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['measurement_id'], ['measurements.id'], name=op.f('fk_billing_adjustments_measurement_id_measurements'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_adjustments'))
    )
    with op.batch_alter_table('billing_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_adjustments_contract_id'), ['contract_id'], unique=False)

    op.create_table('invoice_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_payments_invoice_id_invoices'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_payments'))
    )
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_payments_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('measurement_line_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('audit_code', sa.String(length=40), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('billed', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('disputed', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('undisputed', ops.db.ExactDecimal(precision=16, scale=2), nullable=False),
    sa.Column('opened_at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('state_since', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('protocol', sa.String(length=100), nullable=True),
    sa.Column('recalculation_number', sa.String(length=100), nullable=True),
    sa.Column('resolution_date', sa.Date(), nullable=True),
    sa.Column('credited_amount', ops.db.ExactDecimal(precision=16, scale=2), nullable=True),
    sa.Column('credit_reference', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_disputes_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_disputes_invoice_id_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['measurement_line_id'], ['measurement_lines.id'], name=op.f('fk_disputes_measurement_line_id_measurement_lines'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_disputes_ticket_id_tickets'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('time_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('minutes', ops.db.ExactDecimal(precision=10, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_time_entries_ticket_id_tickets'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_entries'))
    )
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_entries_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('dispute_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('at', ops.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=True),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_events_dispute_id_disputes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_events'))
    )
    with op.batch_alter_table('dispute_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_events_dispute_id'), ['dispute_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dispute_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_events_dispute_id'))

    op.drop_table('dispute_events')
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_time_entries_ticket_id'))

    op.drop_table('time_entries')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disputes_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_disputes_contract_id'))

    op.drop_table('disputes')
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_payments_invoice_id'))

    op.drop_table('invoice_payments')
    with op.batch_alter_table('billing_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_adjustments_contract_id'))

    op.drop_table('billing_adjustments')
    with op.batch_alter_table('measurement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurement_lines_measurement_id'))

    op.drop_table('measurement_lines')
    with op.batch_alter_table('measurement_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurement_events_measurement_id'))

    op.drop_table('measurement_events')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_contract_id'))

    op.drop_table('invoices')
    with op.batch_alter_table('executed_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_executed_shifts_execution_id'))
        batch_op.drop_index(batch_op.f('ix_executed_shifts_contract_id'))

    op.drop_table('executed_shifts')
    with op.batch_alter_table('contract_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_prices_contract_id'))

    op.drop_table('contract_prices')
    with op.batch_alter_table('readjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readjustments_contract_id'))

    op.drop_table('readjustments')
    with op.batch_alter_table('plan_executions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_executions_contract_id'))

    op.drop_table('plan_executions')
    with op.batch_alter_table('oncall_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oncall_shifts_contract_id'))

    op.drop_table('oncall_shifts')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurements_contract_id'))

    op.drop_table('measurements')
    op.drop_table('index_values')
    op.drop_table('index_revisions')
    op.drop_table('document_counters')
