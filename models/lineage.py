"""Model versions and the data they were trained on: the lineage auditors ask for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, utcnow


class ModelVersion(TeamScoped, Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("project_id", "model_name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    model_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64))
    training_data: Mapped[str | None] = mapped_column(String(300))
    data_source: Mapped[str | None] = mapped_column(Text)
    evaluation: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(64))
    model_source: Mapped[str | None] = mapped_column(Text)  # the model's artifact URI (MLflow)
    origin: Mapped[str] = mapped_column(String(16))  # handoff | mlflow | api
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id"))
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
