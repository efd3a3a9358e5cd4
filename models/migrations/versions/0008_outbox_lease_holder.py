"""outbox.lease_holder and outbox.attempt_started_at: a short lease renewed by its holder,
and a mark that a post may have reached Slack (looked for before it is sent again)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: rows queued before this have no holder and no attempt in flight.
    op.add_column("outbox", sa.Column("lease_holder", sa.String(64), nullable=True))
    op.add_column("outbox", sa.Column("attempt_started_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attempt_started_at")
        batch.drop_column("lease_holder")
