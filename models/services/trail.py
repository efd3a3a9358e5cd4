"""A project's audit trail as people read it: one sentence per event, with names and role labels.

The history command, the audit export and the dossier read the same events: the project's own,
and the refusals about it that migration 0010 linked (recorded before refusals carried their
project). Names come from the people cache; bot/names.py fills it from Slack first.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.handoff import Handoff
from models.monitor import Alert
from models.project import Project
from models.refusals import subject_of
from models.schemas.projects import AuditEntry
from models.sentences import Names, people_named, sentence
from models.services import people
from models.sources import shown_error


def of_project(project: Project) -> ColumnElement[bool]:
    """The events about a project: its own, and the refusals linked to it afterwards."""
    return (AuditEvent.team_id == project.team_id) & or_(
        AuditEvent.project_id == project.id, AuditEvent.linked_project_id == project.id
    )


def events(s: Session, project: Project, newest: int | None = None) -> list[AuditEvent]:
    """Oldest first; with `newest`, only that many of the latest."""
    query = select(AuditEvent).where(of_project(project))
    if newest is None:
        return list(s.scalars(query.order_by(AuditEvent.id)))
    latest = s.scalars(query.order_by(AuditEvent.id.desc()).limit(newest))
    return list(reversed(list(latest)))


def people_in(rows: Sequence[AuditEvent]) -> set[str]:
    ids: set[str] = set()
    for e in rows:
        ids |= people_named(e.actor, e.detail)
    return ids


def history(s: Session, project: Project, limit: int) -> list[AuditEntry]:
    """The newest `limit` events, newest first."""
    return list(reversed(readable(s, project, events(s, project, newest=limit))))


def export(s: Session, project: Project) -> list[AuditEntry]:
    """Every event, oldest first."""
    return readable(s, project, events(s, project))


def readable(s: Session, project: Project, rows: Sequence[AuditEvent]) -> list[AuditEntry]:
    names = Names(people.names(s, project.team_id, people_in(rows)), _transitions(s, project))
    return [_entry(e, project, names) for e in rows]


def _transitions(s: Session, project: Project) -> dict[int, str]:
    rows = s.scalars(
        select(Handoff).where(Handoff.team_id == project.team_id, Handoff.project_id == project.id)
    )
    return {h.id: h.transition for h in rows}


def _entry(e: AuditEvent, project: Project, names: Names) -> AuditEntry:
    detail = _shown_detail(e.action, e.detail)
    key = e.project_key or project.key  # a linked refusal may have been recorded without it
    return AuditEntry(
        id=e.id,
        project_key=key,
        actor=e.actor,
        actor_name=names.person(e.actor),
        action=e.action,
        sentence=sentence(e.action, e.actor, detail, key, names),
        detail=detail,
        created_at=e.created_at,
        hash=e.hash,
    )


def _shown_detail(action: str, detail: dict[str, object]) -> dict[str, object]:
    """Source failures recorded before errors stopped quoting the answer lose the quote."""
    if action != "monitor.source_failed" or not isinstance(detail.get("error"), str):
        return detail
    return {**detail, "error": shown_error(str(detail["error"]))}


def about(s: Session, team_id: str, detail: dict[str, object], key: str | None) -> Project | None:
    """The project a refusal is about: its hand-off's, its alert's, or the one its key names."""
    subject = subject_of(detail, key)
    for row, row_id in ((Handoff, subject.handoff_id), (Alert, subject.alert_id)):
        if row_id is None:
            continue
        found = s.scalars(
            select(Project)
            .join(row, row.project_id == Project.id)
            .where(row.id == row_id, row.team_id == team_id)
        ).one_or_none()
        if found is not None:
            return found
    if subject.project_key is None:
        return None
    return s.scalars(
        select(Project).where(Project.team_id == team_id, Project.key == subject.project_key)
    ).one_or_none()
