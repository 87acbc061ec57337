"""initial schema: run ledger, current state, history, email outbox, sessions, snoozes

Revision ID: 0001
Revises:
Create Date: 2026-11-22 12:05:32.983291
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_state",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("csm_email", sa.String(), nullable=True),
        sa.Column("arr", sa.Float(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("segment", sa.String(), nullable=True),
        sa.Column("journey", sa.String(), nullable=True),
        sa.Column("journey_name", sa.String(), nullable=True),
        sa.Column("icp", sa.String(), nullable=True),
        sa.Column("icp_fit", sa.Float(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("day_of_journey", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("lag_days", sa.Integer(), nullable=True),
        sa.Column("milestones_total", sa.Integer(), nullable=False),
        sa.Column("milestones_achieved", sa.Integer(), nullable=False),
        sa.Column("milestones_expected", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("expected_location", sa.String(), nullable=False),
        sa.Column("last_activity", sa.Date(), nullable=True),
        sa.Column("reasons", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    with op.batch_alter_table("account_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_state_csm_email"), ["csm_email"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_state_status"), ["status"], unique=False)

    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("week", "recipient", name="uq_email_outbox_week_recipient"),
    )
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_outbox_week"), ["week"], unique=False)

    op.create_table(
        "mapping_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("goal", sa.String(), nullable=False),
        sa.Column("attendees", sa.String(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mapping_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mapping_session_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "milestone_state",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("milestone", sa.String(), nullable=False),
        sa.Column("journey", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("achieved_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=True),
        sa.Column("condition", sa.String(), nullable=False),
        sa.Column("metric", sa.String(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("value_on_due", sa.Float(), nullable=True),
        sa.Column("metric_values", sa.String(), nullable=False),
        sa.Column("holds_now", sa.Boolean(), nullable=False),
        sa.Column("regressed", sa.Boolean(), nullable=False),
        sa.Column("at_risk", sa.Boolean(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("first_move", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "milestone"),
    )
    op.create_table(
        "run",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("config_hash", sa.String(), nullable=False),
        sa.Column("input_fingerprint", sa.String(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("on_track", sa.Integer(), nullable=False),
        sa.Column("at_risk", sa.Integer(), nullable=False),
        sa.Column("off_track", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("not_started", sa.Integer(), nullable=False),
        sa.Column("unassigned", sa.Integer(), nullable=False),
        sa.Column("quarantined_rows", sa.Integer(), nullable=False),
        sa.Column("newest_usage_day", sa.Date(), nullable=True),
        sa.Column("notes", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("as_of"),
    )
    op.create_table(
        "snooze",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_at_snooze", sa.String(), nullable=False),
        sa.Column("run_as_of", sa.Date(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("snooze", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_snooze_account_id"), ["account_id"], unique=False)

    op.create_table(
        "state_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("milestone", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old_value", sa.String(), nullable=True),
        sa.Column("new_value", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("state_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_state_change_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_state_change_as_of"), ["as_of"], unique=False)

    op.create_table(
        "commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("next_step", sa.String(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_note", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["mapping_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commitment_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_commitment_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_commitment_status"), ["status"], unique=False)

    op.create_table(
        "session_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["mapping_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_note_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("session_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_note_session_id"))

    op.drop_table("session_note")
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_status"))
        batch_op.drop_index(batch_op.f("ix_commitment_session_id"))
        batch_op.drop_index(batch_op.f("ix_commitment_account_id"))

    op.drop_table("commitment")
    with op.batch_alter_table("state_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_state_change_as_of"))
        batch_op.drop_index(batch_op.f("ix_state_change_account_id"))

    op.drop_table("state_change")
    with op.batch_alter_table("snooze", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_snooze_account_id"))

    op.drop_table("snooze")
    op.drop_table("run")
    op.drop_table("milestone_state")
    with op.batch_alter_table("mapping_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mapping_session_account_id"))

    op.drop_table("mapping_session")
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_outbox_week"))

    op.drop_table("email_outbox")
    with op.batch_alter_table("account_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_state_status"))
        batch_op.drop_index(batch_op.f("ix_account_state_csm_email"))

    op.drop_table("account_state")
