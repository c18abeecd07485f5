"""one open dispute per subject

A dispute keeps an `open_key` (its measurement line, ticket, or invoice and audit difference) while it is
open, unique across the table, and drops it when it is closed or refused: two clients opening the same
dispute at the same instant get one dispute and one 409, where the check-then-insert let both in.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 06:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("disputes", sa.Column("open_key", sa.String(length=120), nullable=True))
    disputes = sa.table(
        "disputes",
        sa.column("id", sa.Integer),
        sa.column("state", sa.String),
        sa.column("invoice_id", sa.Integer),
        sa.column("measurement_line_id", sa.Integer),
        sa.column("ticket_id", sa.Integer),
        sa.column("audit_code", sa.String),
        sa.column("open_key", sa.String),
    )
    rows = op.get_bind().execute(
        sa.select(disputes).where(disputes.c.state.not_in(("closed", "refused"))).order_by(disputes.c.id)
    )
    seen: set[str] = set()
    for row in rows.mappings().all():
        key = open_key(row)
        if key is not None and key not in seen:  # an older duplicate keeps the key; a later one stays as it was
            seen.add(key)
            op.get_bind().execute(disputes.update().where(disputes.c.id == row["id"]).values(open_key=key))
    op.create_index(op.f("uq_disputes_open_key"), "disputes", ["open_key"], unique=True)


def open_key(row: sa.RowMapping) -> str | None:
    if row["measurement_line_id"] is not None:
        return f"line:{row['measurement_line_id']}"
    if row["ticket_id"] is not None:
        return f"ticket:{row['ticket_id']}"
    if row["audit_code"] is not None:
        return f"audit:{row['invoice_id']}:{row['audit_code']}"
    return None


def downgrade() -> None:
    op.drop_index(op.f("uq_disputes_open_key"), table_name="disputes")
    with op.batch_alter_table("disputes") as batch:
        batch.drop_column("open_key")
