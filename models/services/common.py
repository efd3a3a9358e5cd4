"""Lookups every service needs: a project by key, its leads, membership."""

from __future__ import annotations

import difflib

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models.enums import Role, Stage
from models.errors import DomainError, NotFound, PermissionDenied
from models.project import Project
from models.roster import RoleAssignment
from models.schemas.base import Actor

# Built once: composing a select costs more CPU than SQLite takes to run it, on every request.
_PROJECT_BY_KEY = select(Project).where(
    Project.team_id == bindparam("team_id"), Project.key == bindparam("key")
)
_PROJECT_BY_KEY_LOCKED = _PROJECT_BY_KEY.with_for_update()
_ACTIVE_ASSIGNMENTS = (
    select(RoleAssignment)
    .where(
        RoleAssignment.team_id == bindparam("team_id"),
        RoleAssignment.project_id == bindparam("project_id"),
        RoleAssignment.removed_at.is_(None),
    )
    .order_by(RoleAssignment.assigned_at, RoleAssignment.id)
)


def get_project(s: Session, team_id: str, key: str, *, lock: bool = False) -> Project:
    query = _PROJECT_BY_KEY_LOCKED if lock else _PROJECT_BY_KEY
    project = s.scalars(query, {"team_id": team_id, "key": key}).one_or_none()
    if project is None:
        raise NotFound(f"No project '{key}' in this workspace.{_closest_key(s, team_id, key)}")
    return project


def _closest_key(s: Session, team_id: str, key: str) -> str:
    keys = s.scalars(select(Project.key).where(Project.team_id == team_id)).all()
    close = difflib.get_close_matches(key, keys, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"{hint} `project list` shows them all."


def get_active_project(s: Session, team_id: str, key: str, *, lock: bool = False) -> Project:
    project = get_project(s, team_id, key, lock=lock)
    if project.stage == Stage.ARCHIVED:
        raise DomainError(f"Project '{key}' is archived.")
    return project


def active_assignments(s: Session, project: Project) -> list[RoleAssignment]:
    params = {"team_id": project.team_id, "project_id": project.id}
    return list(s.scalars(_ACTIVE_ASSIGNMENTS, params))


def member_ids(s: Session, project: Project) -> list[str]:
    """Everyone holding a role on it, once each: whose App Home lists the project."""
    return list(dict.fromkeys(a.user_id for a in active_assignments(s, project)))


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
        raise not_a_member(project, doing)


def not_a_member(project: Project, doing: str) -> PermissionDenied:
    return PermissionDenied(
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
