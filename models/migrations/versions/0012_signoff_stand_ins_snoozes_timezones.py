"""sign-offs record whom a stand-in signed for (signoffs.on_behalf_of, signoffs.standing_in),
snoozed reminders (signoff_snoozes), people's Slack time zones (slack_users.tz), absences

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signoffs") as batch:
        batch.add_column(sa.Column("on_behalf_of", sa.String(32), nullable=True))
        batch.add_column(sa.Column("standing_in", sa.String(16), nullable=True))
    with op.batch_alter_table("slack_users") as batch:
        batch.add_column(sa.Column("tz", sa.String(64), nullable=True))
    op.create_table(
        "signoff_snoozes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_signoff_snoozes_handoff_id_handoffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoff_snoozes")),
    )
    op.create_index(op.f("ix_signoff_snoozes_team_id"), "signoff_snoozes", ["team_id"])
    op.create_index(op.f("ix_signoff_snoozes_handoff_id"), "signoff_snoozes", ["handoff_id"])
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("delegate", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
    )
    op.create_index(op.f("ix_absences_team_id"), "absences", ["team_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_absences_team_id"), table_name="absences")
    op.drop_table("absences")
    op.drop_index(op.f("ix_signoff_snoozes_handoff_id"), table_name="signoff_snoozes")
    op.drop_index(op.f("ix_signoff_snoozes_team_id"), table_name="signoff_snoozes")
    op.drop_table("signoff_snoozes")
    with op.batch_alter_table("slack_users") as batch:
        batch.drop_column("tz")
    with op.batch_alter_table("signoffs") as batch:
        batch.drop_column("standing_in")
        batch.drop_column("on_behalf_of")
