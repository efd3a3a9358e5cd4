"""What waits downstream on a hand-off's decision: an MLflow version to promote, a Workflow
Builder step to complete. Each row is written with the hand-off and acted on when it closes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, utcnow


class MlflowPromotion(TeamScoped, Base):
    """A develop → deploy hand-off opened by MLflow's request alias on this model version:
    approved, Baton sets the production alias on exactly this version."""

    __tablename__ = "mlflow_promotions"
    __table_args__ = (UniqueConstraint("handoff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    model_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64))
    # Frozen at request time, like the hand-off's roles: the alias the approval promises.
    alias: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class WorkflowStep(TeamScoped, Base):
    """A running Workflow Builder step ("Request Baton sign-off") waiting on a hand-off."""

    __tablename__ = "workflow_steps"
    __table_args__ = (UniqueConstraint("function_execution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    function_execution_id: Mapped[str] = mapped_column(String(64))
    workflow_execution_id: Mapped[str | None] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the decision queued the completion; completed_at once Slack accepted it.
    outcome: Mapped[str | None] = mapped_column(String(16))
    completed_at: Mapped[datetime | None]
