"""outbox.sink and outbox.sink_target (non-Slack deliveries); webhook_subscriptions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every row queued before this was a Slack message: the server default says so.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("sink", sa.String(length=16), nullable=False, server_default="slack")
        )
        batch.add_column(sa.Column("sink_target", sa.String(length=64), nullable=True))

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "events",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.create_index(batch.f("ix_webhook_subscriptions_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.drop_index(batch.f("ix_webhook_subscriptions_team_id"))
    op.drop_table("webhook_subscriptions")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sink_target")
        batch.drop_column("sink")
