"""idempotency keys keep the answer's Location

A page form carries a key too (ops.web.render's csrf_field): its answer is a 303 to the page to show next, so a
second submission of the same form (a double click, a reload of the POST) is sent to the same page instead of
recording twice. The stored answer needs that Location.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 01:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("location", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("location")
