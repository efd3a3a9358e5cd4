"""Writing and reading the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.audit import AuditChainHead, AuditEvent
from models.audit_chain import event_hash
from models.base import utcnow
from models.project import Project
from models.schemas import Actor, AuditEntry


def record(
    s: Session, actor: Actor, action: str, project: Project | None = None, **detail: Any
) -> None:
    event = AuditEvent(
        team_id=actor.team_id,
        project_id=project.id if project is not None else None,
        project_key=project.key if project is not None else detail.pop("project_key", None),
        actor=actor.user_id,
        action=action,
        detail=_jsonable(detail),
        created_at=utcnow(),
    )
    head = _locked_head(s, actor.team_id)
    event.prev_hash = head.head_hash
    event.hash = event_hash(
        head.head_hash,
        team_id=event.team_id,
        project_id=event.project_id,
        project_key=event.project_key,
        actor=event.actor,
        action=event.action,
        detail=event.detail,
        created_at=event.created_at,
    )
    s.add(event)
    s.flush()  # the id, after the lock: ids follow the chain's order
    head.head_hash, head.head_event_id = event.hash, event.id
    head.events += 1
    head.updated_at = event.created_at


def _locked_head(s: Session, team_id: str) -> AuditChainHead:
    """The workspace's chain head, locked until commit: the next writer waits here and then
    reads this event as its predecessor. (SQLite: writers are serialised already, bot/db.py.)"""
    insert = sqlite_insert if s.get_bind().dialect.name == "sqlite" else pg_insert
    s.execute(insert(AuditChainHead).values(team_id=team_id, events=0).on_conflict_do_nothing())
    return s.scalars(
        select(AuditChainHead)
        .where(AuditChainHead.team_id == team_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def record_refusal(s: Session, actor: Actor, action: str, reason: str, **detail: Any) -> None:
    """Audit a refused request; called in its own transaction, as the refused one rolled back."""
    record(s, actor, f"refused.{action}", reason=reason, **detail)


def history(s: Session, team_id: str, project: Project, limit: int) -> list[AuditEntry]:
    rows = s.scalars(
        select(AuditEvent)
        .where(AuditEvent.team_id == team_id, AuditEvent.project_id == project.id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return [_entry(e) for e in rows]


def export(s: Session, team_id: str, project: Project) -> list[AuditEntry]:
    rows = s.scalars(
        select(AuditEvent)
        .where(AuditEvent.team_id == team_id, AuditEvent.project_id == project.id)
        .order_by(AuditEvent.id)
    )
    return [_entry(e) for e in rows]


def _entry(e: AuditEvent) -> AuditEntry:
    return AuditEntry(
        id=e.id,
        project_key=e.project_key,
        actor=e.actor,
        action=e.action,
        detail=e.detail,
        created_at=e.created_at,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
