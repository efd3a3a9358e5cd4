"""model_versions.model_source: where the model itself is stored (MLflow's source URI)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: versions recorded before this (and from hand-off packets) have no source URI.
    op.add_column("model_versions", sa.Column("model_source", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("model_source")
