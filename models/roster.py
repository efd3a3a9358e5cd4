"""Who holds which MLOps role on a project. Rows are ended, never deleted: history is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, unique_where, utcnow
from models.enums import Role
from models.types import str_enum


class RoleAssignment(TeamScoped, Base):
    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    user_id: Mapped[str] = mapped_column(String(32))
    is_lead: Mapped[bool] = mapped_column(default=False)
    assigned_by: Mapped[str] = mapped_column(String(32))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_by: Mapped[str | None] = mapped_column(String(32))
    removed_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.removed_at is None


_active = RoleAssignment.removed_at.is_(None)
_active_lead = (RoleAssignment.is_lead == true()) & RoleAssignment.removed_at.is_(None)

# The database, not luck, guarantees one active row per member and one active lead per role.
unique_where(
    "uq_role_assignments_active_member",
    RoleAssignment.project_id,
    RoleAssignment.role,
    RoleAssignment.user_id,
    where=_active,
)
unique_where(
    "uq_role_assignments_active_lead",
    RoleAssignment.project_id,
    RoleAssignment.role,
    where=_active_lead,
)
Index("ix_role_assignments_team_user", RoleAssignment.team_id, RoleAssignment.user_id)
