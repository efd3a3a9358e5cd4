"""mlflow_promotions and workflow_steps: what waits on a hand-off's decision

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mlflow_promotions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("promoted_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_mlflow_promotions_handoff_id_handoffs")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_mlflow_promotions_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlflow_promotions")),
        sa.UniqueConstraint("handoff_id", name=op.f("uq_mlflow_promotions_handoff_id")),
    )
    with op.batch_alter_table("mlflow_promotions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mlflow_promotions_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mlflow_promotions_team_id"), ["team_id"], unique=False)

    op.create_table(
        "workflow_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("function_execution_id", sa.String(length=64), nullable=False),
        sa.Column("workflow_execution_id", sa.String(length=64), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_workflow_steps_handoff_id_handoffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_steps")),
        sa.UniqueConstraint(
            "function_execution_id", name=op.f("uq_workflow_steps_function_execution_id")
        ),
    )
    with op.batch_alter_table("workflow_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_steps_handoff_id"), ["handoff_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_workflow_steps_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workflow_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_steps_team_id"))
        batch_op.drop_index(batch_op.f("ix_workflow_steps_handoff_id"))
    op.drop_table("workflow_steps")
    with op.batch_alter_table("mlflow_promotions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mlflow_promotions_team_id"))
        batch_op.drop_index(batch_op.f("ix_mlflow_promotions_project_id"))
    op.drop_table("mlflow_promotions")
