"""moving_digest of current-state rows: a hash of the columns that move most nights

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 16:47:26.420352
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, added in place. The stored digests of 0002 covered the columns that are now
    # moving, so no row's digest matches any more: the next run rewrites every row once.
    with op.batch_alter_table("account_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moving_digest", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("milestone_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moving_digest", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("milestone_state", schema=None) as batch_op:
        batch_op.drop_column("moving_digest")

    with op.batch_alter_table("account_state", schema=None) as batch_op:
        batch_op.drop_column("moving_digest")
