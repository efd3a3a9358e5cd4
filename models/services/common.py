"""Lookups every service needs: a project by key, its leads, membership."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role, Stage
from models.errors import DomainError, NotFound, PermissionDenied
from models.project import Project
from models.roster import RoleAssignment
from models.schemas.base import Actor

PROJECT_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def check_key(key: str) -> str:
    if not PROJECT_KEY.match(key):
        raise DomainError(
            f"'{key}' is not a valid project key: use 2–40 lower-case letters, digits and '-'."
        )
    return key


def get_project(s: Session, team_id: str, key: str, *, lock: bool = False) -> Project:
    query = select(Project).where(Project.team_id == team_id, Project.key == key)
    if lock:
        query = query.with_for_update()
    project = s.scalars(query).one_or_none()
    if project is None:
        raise NotFound(f"No project '{key}' in this workspace. `project list` shows them all.")
    return project


def get_active_project(s: Session, team_id: str, key: str, *, lock: bool = False) -> Project:
    project = get_project(s, team_id, key, lock=lock)
    if project.stage == Stage.ARCHIVED:
        raise DomainError(f"Project '{key}' is archived.")
    return project


def active_assignments(s: Session, project: Project) -> list[RoleAssignment]:
    return list(
        s.scalars(
            select(RoleAssignment)
            .where(
                RoleAssignment.team_id == project.team_id,
                RoleAssignment.project_id == project.id,
                RoleAssignment.removed_at.is_(None),
            )
            .order_by(RoleAssignment.assigned_at, RoleAssignment.id)
        )
    )


def leads_of(s: Session, project: Project) -> dict[Role, str]:
    return {a.role: a.user_id for a in active_assignments(s, project) if a.is_lead}


def leads_by_project(
    s: Session, team_id: str, project_ids: set[int]
) -> dict[tuple[int, Role], str]:
    """Leads of many projects in one query (lists stay one round trip, whatever their length)."""
    if not project_ids:
        return {}
    rows = s.execute(
        select(RoleAssignment.project_id, RoleAssignment.role, RoleAssignment.user_id).where(
            RoleAssignment.team_id == team_id,
            RoleAssignment.project_id.in_(project_ids),
            RoleAssignment.is_lead.is_(True),
            RoleAssignment.removed_at.is_(None),
        )
    )
    return {(pid, role): user for pid, role, user in rows}


def is_member(s: Session, project: Project, user_id: str) -> bool:
    return any(a.user_id == user_id for a in active_assignments(s, project))


def require_member(s: Session, project: Project, actor: Actor, doing: str) -> None:
    if not actor.is_admin and not is_member(s, project, actor.user_id):
        raise PermissionDenied(
            f"Only members of '{project.key}' can {doing}. Ask its creator or ML architect lead "
            "to assign you a role."
        )


def require_project_manager(s: Session, project: Project, actor: Actor, doing: str) -> None:
    """The project's creator, its ML architect lead, or an admin."""
    if actor.is_admin or actor.user_id == project.created_by:
        return
    if leads_of(s, project).get(Role.ML_ARCHITECT) == actor.user_id:
        return
    raise PermissionDenied(
        f"Only the creator of '{project.key}', its ML architect lead or a Baton admin can {doing}."
    )
