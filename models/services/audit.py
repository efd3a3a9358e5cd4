"""Writing and reading the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.project import Project
from models.schemas import Actor, AuditEntry
from models.sources import shown_error


def record(
    s: Session, actor: Actor, action: str, project: Project | None = None, **detail: Any
) -> None:
    s.add(
        AuditEvent(
            team_id=actor.team_id,
            project_id=project.id if project is not None else None,
            project_key=project.key if project is not None else detail.pop("project_key", None),
            actor=actor.user_id,
            action=action,
            detail=_jsonable(detail),
        )
    )


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
        detail=_shown_detail(e.action, e.detail),
        created_at=e.created_at,
    )


def _shown_detail(action: str, detail: dict[str, Any]) -> dict[str, Any]:
    """Source failures recorded before errors stopped quoting the answer lose the quote."""
    if action != "monitor.source_failed" or not isinstance(detail.get("error"), str):
        return detail
    return {**detail, "error": shown_error(detail["error"])}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
