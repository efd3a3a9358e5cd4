"""The append-only audit trail: who did what, to which project, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.audit_chain import event_hash
from models.base import Base, TeamScoped, utcnow


class AuditEvent(TeamScoped, Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    # Kept beside the id so an export stays readable on its own.
    project_key: Mapped[str | None] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The tamper-evident chain (models/audit_chain.py): this event's link, the one before, and
    # its place in the workspace's chain. Set at commit, under the chain head's lock.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int | None]
    # The project a refusal recorded before refusals carried their project is about, found by
    # migration 0010 from the hand-off id or key its details hold. Outside the hash on purpose:
    # linking must not rewrite a chain operators may have anchored (docs/audit.md).
    linked_project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))

    def chain_hash(self, prev_hash: str | None) -> str:
        """This event's link after `prev_hash`: what the writer stores and verify recomputes."""
        return event_hash(
            prev_hash,
            team_id=self.team_id,
            project_id=self.project_id,
            project_key=self.project_key,
            actor=self.actor,
            action=self.action,
            detail=self.detail,
            created_at=self.created_at,
        )


class AuditChainHead(Base):
    """The newest link of a workspace's chain. Writers lock this row, so events from several
    processes still form one chain; verify compares it with the newest event."""

    __tablename__ = "audit_chain_heads"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    head_hash: Mapped[str | None] = mapped_column(String(64))
    head_event_id: Mapped[int | None]
    events: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]


Index("ix_audit_events_team_seq", AuditEvent.team_id, AuditEvent.seq)
Index("ix_audit_events_team_project_id", AuditEvent.team_id, AuditEvent.project_id, AuditEvent.id)
Index("ix_audit_events_team_linked_project_id", AuditEvent.team_id, AuditEvent.linked_project_id)


class AuditIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _ctx: object, _instances: object) -> None:
    touched = [o for o in (*session.dirty, *session.deleted) if isinstance(o, AuditEvent)]
    if any(session.is_modified(o) or o in session.deleted for o in touched):
        raise AuditIsAppendOnly("audit events are append-only")
