"""projects.overseer: the named person who may stop a project at any time

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Existing projects have no overseer. Plain ALTER TABLE (SQLite ≥ 3.35 drops columns in
place): rebuilding projects, as batch mode would, fails on SQLite while other tables' rows
reference it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("overseer", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("projects", "overseer")
