"""run.state_key (the run's persisted metric state); digests of current-state rows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:37:40.974994
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns only: SQLite adds them in place (no table copy), existing rows get null
    # (no state key; an unknown digest, so the next run rewrites that row).
    with op.batch_alter_table("account_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("milestone_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state_key", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_column("state_key")

    with op.batch_alter_table("milestone_state", schema=None) as batch_op:
        batch_op.drop_column("digest")

    with op.batch_alter_table("account_state", schema=None) as batch_op:
        batch_op.drop_column("digest")
