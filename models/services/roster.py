"""Who holds which role: assign, remove, list. Rows are ended, never deleted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.enums import Role, Stage
from models.errors import DomainError, NotFound
from models.notifications import RoleAssigned
from models.project import Project
from models.roster import RoleAssignment
from models.schemas.base import Actor
from models.schemas.projects import MyProject, RoleHolders
from models.services import audit, outbox
from models.services.common import (
    active_assignments,
    get_active_project,
    get_project,
    leads_of,
    require_project_manager,
)


def assign_role(
    s: Session, actor: Actor, key: str, role: Role, user_id: str, *, lead: bool = False
) -> list[RoleHolders]:
    project = get_active_project(s, actor.team_id, key, lock=True)
    require_project_manager(s, project, actor, "assign roles")
    assign_unchecked(s, actor, project, role, user_id, lead=lead)
    return holders(s, project)


def remove_role(s: Session, actor: Actor, key: str, role: Role, user_id: str) -> list[RoleHolders]:
    project = get_active_project(s, actor.team_id, key, lock=True)
    require_project_manager(s, project, actor, "remove roles")
    remove_unchecked(s, actor, project, role, user_id)
    return holders(s, project)


def step_down_lead(s: Session, actor: Actor, key: str, role: Role) -> list[RoleHolders]:
    """The role's lead stays on as a plain member; the role has no lead until one is named."""
    project = get_active_project(s, actor.team_id, key, lock=True)
    require_project_manager(s, project, actor, "change leads")
    step_down_unchecked(s, actor, project, role)
    return holders(s, project)


# The *_unchecked helpers make one audited change on a project already locked, for a caller
# that has checked the actor may manage it once, before a batch of changes (the set-up form):
# a batch that hands the ML-architect lead on must not be refused half-way by its own step.


def assign_unchecked(
    s: Session, actor: Actor, project: Project, role: Role, user_id: str, *, lead: bool = False
) -> None:
    current = _assignment(s, project, role, user_id)
    if current is not None and (current.is_lead or not lead):
        return  # already holds it: nothing to change, nothing to audit
    if lead:
        _demote_lead(s, project, role, actor, successor=user_id)
    if current is not None:
        _end(current, actor)
        s.flush()  # the partial unique index must see the old row ended first
    s.add(
        RoleAssignment(
            team_id=project.team_id,
            project_id=project.id,
            role=role,
            user_id=user_id,
            is_lead=lead,
            assigned_by=actor.user_id,
        )
    )
    s.flush()
    audit.record(s, actor, "role.assigned", project, role=role, user=user_id, lead=lead)
    note = RoleAssigned(project_id=project.id, role=role, lead=lead, by=actor.user_id)
    outbox.to_user(s, project.team_id, user_id, note)
    outbox.refresh_home(s, project.team_id, user_id)


def remove_unchecked(s: Session, actor: Actor, project: Project, role: Role, user_id: str) -> None:
    current = _assignment(s, project, role, user_id)
    if current is None:
        raise NotFound(f"That person does not hold the {role.label} role on '{project.key}'.")
    _end(current, actor)
    audit.record(
        s, actor, "role.removed", project, role=role, user=user_id, was_lead=current.is_lead
    )
    s.flush()
    outbox.refresh_home(s, project.team_id, user_id)


def step_down_unchecked(s: Session, actor: Actor, project: Project, role: Role) -> None:
    lead = leads_of(s, project).get(role)
    if lead is not None:
        _demote_lead(s, project, role, actor, successor=None)
        outbox.refresh_home(s, project.team_id, lead)


def holders(s: Session, project: Project) -> list[RoleHolders]:
    """Every role, in the canonical order, with its lead and members (empty roles included)."""
    return holders_of(active_assignments(s, project))


def holders_of(assignments: Iterable[RoleAssignment | Row[Any]]) -> list[RoleHolders]:
    """`holders` from a project's active assignments, already read (ORM rows, or their role,
    user_id and is_lead columns as Core rows), in assignment order."""
    members: dict[Role, list[str]] = defaultdict(list)
    leads: dict[Role, str] = {}
    for a in assignments:
        members[a.role].append(a.user_id)
        if a.is_lead:
            leads[a.role] = a.user_id
    return [
        RoleHolders.trusted(role=r, label=r.label, lead=leads.get(r), members=members.get(r, []))
        for r in Role
    ]


def roster_of(s: Session, team_id: str, key: str) -> list[RoleHolders]:
    return holders(s, get_project(s, team_id, key))


def my_projects(
    s: Session, team_id: str, user_id: str, *, is_admin: bool = False
) -> list[MyProject]:
    """The projects this user holds a role on or created (a creator may give themselves no
    role and still manage the project); `manages`: they may edit its roles."""
    held = and_(
        RoleAssignment.project_id == Project.id,
        RoleAssignment.user_id == user_id,
        RoleAssignment.removed_at.is_(None),
    )
    # Plain columns, no ORM objects: App Home lists every project of someone on a thousand.
    rows = s.execute(
        select(
            Project.id,
            Project.key,
            Project.name,
            Project.stage,
            Project.created_by,
            RoleAssignment.id.label("assignment_id"),
            RoleAssignment.role,
            RoleAssignment.is_lead,
        )
        .outerjoin(RoleAssignment, held)
        .where(
            Project.team_id == team_id,
            Project.stage != Stage.ARCHIVED,
            or_(RoleAssignment.id.is_not(None), Project.created_by == user_id),
        )
        .order_by(Project.key, RoleAssignment.id)
    )
    grouped: dict[int, tuple[Any, list[tuple[Role, bool]]]] = {}
    for row in rows:
        mine = grouped.setdefault(row.id, (row, []))[1]
        if row.assignment_id is not None:  # None: a project they created and hold no role on
            mine.append((row.role, row.is_lead))
    return [
        MyProject(
            key=p.key,
            name=p.name,
            stage=p.stage,
            roles=[role for role, _ in assignments],
            lead_of=[role for role, lead in assignments if lead],
            manages=is_admin
            or p.created_by == user_id
            or any(lead and role == Role.ML_ARCHITECT for role, lead in assignments),
            may_request=is_admin or bool(assignments),  # members and admins request hand-offs
        )
        for p, assignments in grouped.values()
    ]


def _assignment(s: Session, project: Project, role: Role, user_id: str) -> RoleAssignment | None:
    return next(
        (a for a in active_assignments(s, project) if a.role == role and a.user_id == user_id),
        None,
    )


def _demote_lead(
    s: Session, project: Project, role: Role, actor: Actor, *, successor: str | None
) -> None:
    """The old lead stays a member: their row is ended and a plain membership begins. The
    audit names who leads next (`successor`, or "" for nobody) so its sentence is true."""
    old = next((a for a in active_assignments(s, project) if a.role == role and a.is_lead), None)
    if old is None:
        return
    _end(old, actor)
    s.flush()
    s.add(
        RoleAssignment(
            team_id=project.team_id,
            project_id=project.id,
            role=role,
            user_id=old.user_id,
            is_lead=False,
            assigned_by=actor.user_id,
        )
    )
    s.flush()
    audit.record(
        s,
        actor,
        "role.lead_changed",
        project,
        role=role,
        previous_lead=old.user_id,
        new_lead=successor or "",
    )


def _end(assignment: RoleAssignment, actor: Actor) -> None:
    if assignment.removed_at is not None:
        raise DomainError("That role assignment has already ended.")
    assignment.removed_at = utcnow()
    assignment.removed_by = actor.user_id
