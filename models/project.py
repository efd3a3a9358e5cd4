"""A project: one ML model's journey through the lifecycle, in one workspace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, TeamScoped
from models.enums import Stage
from models.types import str_enum


class Project(TeamScoped, Created, Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, 16), default=Stage.MANAGE)
    channel_id: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(32))
    archived_at: Mapped[datetime | None]
    # Remembered so an archive can be explained in the audit trail and undone by an admin.
    stage_before_archive: Mapped[Stage | None] = mapped_column(str_enum(Stage, 16))
    # The named person who may stop the project at any time (models/services/oversight.py).
    overseer: Mapped[str | None] = mapped_column(String(32))
