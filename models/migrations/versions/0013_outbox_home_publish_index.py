"""outbox: an index on (user_id, topic, sent_at), so App Home's throttle finds a person's last
published Home (bot/renderers.py) without scanning an outbox that only grows

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_user_topic_sent", "outbox", ["user_id", "topic", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_user_topic_sent", table_name="outbox")
