"""Projects: create, list, archive, and the status card."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.base import utcnow
from models.enums import Stage
from models.errors import Conflict, DomainError
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.projects import ProjectCard, ProjectSummary
from models.services import audit, roster, webhooks
from models.services.common import check_key, get_project, require_project_manager
from models.services.handoff_queries import handoff_view, open_handoff_of

NAME_MAX = 80


def create_project(
    s: Session, actor: Actor, key: str, name: str | None, channel_id: str
) -> ProjectSummary:
    check_key(key)
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


def archive_project(s: Session, actor: Actor, key: str) -> ProjectSummary:
    project = get_project(s, actor.team_id, key, lock=True)
    if project.stage == Stage.ARCHIVED:
        raise DomainError(f"Project '{key}' is already archived.")
    require_project_manager(s, project, actor, "archive it")
    if open_handoff_of(s, project) is not None:
        raise DomainError(
            f"'{key}' has an open hand-off; cancel it first (`handoff cancel {key}`)."
        )
    project.stage_before_archive = project.stage
    project.stage = Stage.ARCHIVED
    project.archived_at = utcnow()
    audit.record(s, actor, "project.archived", project, stage=project.stage_before_archive)
    webhooks.stage_changed(s, project, project.stage_before_archive)
    return summary(project)


def project_card(s: Session, team_id: str, key: str, policy: Policy) -> ProjectCard:
    project = get_project(s, team_id, key)
    handoff = open_handoff_of(s, project)
    return ProjectCard(
        project=summary(project),
        roles=roster.holders(s, project),
        open_handoff=handoff_view(s, handoff, policy) if handoff is not None else None,
        next_stages=policy.targets_from(project.stage),
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
    )
