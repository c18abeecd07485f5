"""history restricts deletion

Tickets, their events, interval statistics, incidents, staffing plans and delivered reports keep the
contract, queue or reason they belong to from being deleted (ON DELETE RESTRICT), where a cascade used
to erase them with it. Configuration (queues, reasons, agents, positions, tokens, the change log) still
goes with its contract, once nothing of its history is left.

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-12-06 05:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0003", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POOL_WHERE = sa.text("assigned_agent_id IS NULL AND status IN ('new', 'open')")

# (table, column, referred table, ondelete before, ondelete after)
KEYS: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("tickets", "contract_id", "contracts", "CASCADE", "RESTRICT"),
    ("tickets", "queue_id", "queues", None, "RESTRICT"),
    ("tickets", "reason_id", "reasons", None, "RESTRICT"),
    ("ticket_events", "ticket_id", "tickets", "CASCADE", "RESTRICT"),
    ("interval_stats", "queue_id", "queues", "CASCADE", "RESTRICT"),
    ("incidents", "contract_id", "contracts", "CASCADE", "RESTRICT"),
    ("staffing_plans", "contract_id", "contracts", "CASCADE", "RESTRICT"),
    ("stored_reports", "contract_id", "contracts", "CASCADE", "RESTRICT"),
    ("report_sends", "contract_id", "contracts", "CASCADE", "RESTRICT"),
    ("report_send_attempts", "send_id", "report_sends", "CASCADE", "RESTRICT"),
)


def _swap(to_after: bool) -> None:
    # SQLite rebuilds `tickets` in batch mode; its partial pool index is dropped first and made again after,
    # so that it keeps its WHERE clause whatever the reflection makes of it.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_pool", sqlite_where=POOL_WHERE, postgresql_where=POOL_WHERE)
    tables = dict.fromkeys(table for table, *_ in KEYS)
    for table in tables:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, column, referred, before, after in KEYS:
                if name != table:
                    continue
                key = f"fk_{table}_{column}_{referred}"
                batch_op.drop_constraint(key, type_="foreignkey")
                batch_op.create_foreign_key(key, referred, [column], ["id"], ondelete=after if to_after else before)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_pool", ["queue_id", "sort_key"], unique=False, sqlite_where=POOL_WHERE, postgresql_where=POOL_WHERE
        )


def upgrade() -> None:
    _swap(to_after=True)


def downgrade() -> None:
    _swap(to_after=False)
