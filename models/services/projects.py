"""Projects: create, list, archive, and the status card."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import rules
from models.base import utcnow
from models.enums import Stage
from models.errors import Conflict, DomainError
from models.notifications import OverseerNamed
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.projects import ProjectCard, ProjectHomes, ProjectSummary
from models.services import audit, handoffs, outbox, oversight, roster, roster_health, webhooks
from models.services.common import (
    active_assignments,
    get_active_project,
    get_project,
    member_ids,
    require_project_manager,
)
from models.services.handoff_queries import handoff_view, open_handoff_of

NAME_MAX = 80


def create_project(
    s: Session, actor: Actor, key: str, name: str | None, channel_id: str
) -> ProjectSummary:
    rules.project_key(key)
    display = (name or key).strip()[:NAME_MAX] or key
    project = Project(
        team_id=actor.team_id,
        key=key,
        name=display,
        channel_id=channel_id,
        created_by=actor.user_id,
        stage=Stage.MANAGE,
    )
    try:
        with s.begin_nested():
            s.add(project)
    except IntegrityError:
        raise Conflict(f"A project '{key}' already exists in this workspace.") from None
    audit.record(s, actor, "project.created", project, name=display, channel=channel_id)
    return summary(project)


def list_projects(
    s: Session, team_id: str, *, include_archived: bool = False
) -> list[ProjectSummary]:
    query = select(Project).where(Project.team_id == team_id).order_by(Project.key)
    if not include_archived:
        query = query.where(Project.stage != Stage.ARCHIVED)
    return [summary(p) for p in s.scalars(query)]


def project_homes(s: Session, team_id: str) -> ProjectHomes:
    """Every project key of the workspace, and the home channel of each active one."""
    rows = s.execute(
        select(Project.key, Project.channel_id, Project.stage).where(Project.team_id == team_id)
    ).all()
    homes = {key: channel for key, channel, stage in rows if stage != Stage.ARCHIVED}
    return ProjectHomes(frozenset(key for key, _, _ in rows), homes)


# Asked by the parser of every slash command: composed once, parameters per call.
_HOMED_IN = (
    select(Project.key)
    .where(
        Project.team_id == bindparam("team_id"),
        Project.channel_id == bindparam("channel_id"),
        Project.stage != Stage.ARCHIVED,
    )
    .order_by(Project.key)
)
_KEY_EXISTS = select(Project.id).where(
    Project.team_id == bindparam("team_id"), Project.key == bindparam("key")
)


def homed_in(s: Session, team_id: str, channel_id: str) -> list[str]:
    """The keys of the active projects whose home is `channel_id`, sorted (one channel's
    share of `project_homes`, for a command that needs no more)."""
    params = {"team_id": team_id, "channel_id": channel_id}
    return list(s.connection().execute(_HOMED_IN, params).scalars())


def key_exists(s: Session, team_id: str, key: str) -> bool:
    """Whether a project (archived or not) has this key."""
    found = s.connection().execute(_KEY_EXISTS, {"team_id": team_id, "key": key}).first()
    return found is not None


def archive_project(s: Session, actor: Actor, key: str) -> ProjectSummary:
    """The creator, ML architect lead or an admin archive a project with no open hand-off;
    its overseer may at any time, cancelling the open hand-off ("stop")."""
    project = get_project(s, actor.team_id, key, lock=True)
    if project.stage == Stage.ARCHIVED:
        raise DomainError(f"Project '{key}' is already archived.")
    stopping = oversight.is_overseer(project, actor)
    if not stopping:
        require_project_manager(s, project, actor, "archive it")
    current = open_handoff_of(s, project)
    if current is not None and not stopping:
        raise DomainError(
            f"'{key}' has an open hand-off; cancel it first (`handoff cancel {key}`)."
        )
    if current is not None:
        handoffs.close_cancelled(s, actor, project, current)  # refreshes its alert cards
    else:
        handoffs.refresh_alerts(s, project)  # a retrain no longer applies
    outbox.refresh_home(s, project.team_id, *member_ids(s, project))  # gone from My projects
    project.stage_before_archive = project.stage
    project.stage = Stage.ARCHIVED
    project.archived_at = utcnow()
    audit.record(s, actor, "project.archived", project, stage=project.stage_before_archive)
    if stopping:
        oversight.record_stop(s, actor, project, current.id if current is not None else None)
    webhooks.stage_changed(s, project, project.stage_before_archive)
    return summary(project)


def set_overseer(s: Session, actor: Actor, key: str, user_id: str | None) -> ProjectSummary:
    """Name the overseer (`None` clears it): the creator, ML architect lead or an admin may."""
    project = get_active_project(s, actor.team_id, key, lock=True)
    require_project_manager(s, project, actor, "name its overseer")
    previous = project.overseer
    if previous == user_id:
        said = "has no overseer" if user_id is None else "already has that overseer"
        raise DomainError(f"'{key}' {said}; nothing changed.")
    project.overseer = user_id
    audit.record(
        s, actor, "project.overseer_set", project, user=user_id, previous_overseer=previous
    )
    if user_id is not None:  # told what they may now do; the one cleared needs no DM
        note = OverseerNamed(project_id=project.id, by=actor.user_id)
        outbox.to_user(s, project.team_id, user_id, note)
    return summary(project)


def project_card(s: Session, team_id: str, key: str, policy: Policy) -> ProjectCard:
    return card_of(s, get_project(s, team_id, key), policy)


def card_of(s: Session, project: Project, policy: Policy) -> ProjectCard:
    """The card of a project already read: its roster is read once, for roles and leads."""
    assignments = active_assignments(s, project)
    leads = {a.role: a.user_id for a in assignments if a.is_lead}
    handoff = open_handoff_of(s, project)
    view = None
    if handoff is not None:
        by_project = {(project.id, role): user for role, user in leads.items()}
        view = handoff_view(s, handoff, policy, by_project, project)
    return ProjectCard(
        project=summary(project),
        roles=roster.holders_of(assignments),
        open_handoff=view,
        next_stages=policy.targets_from(project.stage),
        gap=roster_health.gap_of(s, project, policy, leads=leads),  # the roster read above
    )


def summary(p: Project) -> ProjectSummary:
    return ProjectSummary(
        key=p.key,
        name=p.name,
        stage=p.stage,
        channel_id=p.channel_id,
        created_by=p.created_by,
        created_at=p.created_at,
        archived_at=p.archived_at,
        overseer=p.overseer,
    )
