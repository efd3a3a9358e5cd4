"""The operator's view of the outbox (`baton outbox`, `baton digest`): list, retry, check."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import OutboxStatus
from models.errors import Conflict, NotFound
from models.outbox import OutboxMessage
from models.schemas.outbox import OutboxEntry

UNSENT, ALL = "unsent", "all"  # besides each OutboxStatus value


def list_messages(s: Session, status: str = UNSENT, limit: int = 100) -> list[OutboxEntry]:
    """The newest `limit` messages with that status (unsent: pending, sending, failed), oldest
    first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status == UNSENT:
        query = query.where(OutboxMessage.status != OutboxStatus.SENT)
    elif status != ALL:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    return [_entry(row) for row in reversed(s.scalars(query).all())]


def messages(s: Session, ids: Sequence[int]) -> list[OutboxEntry]:
    rows = s.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    )
    return [_entry(row) for row in rows]


def retry(s: Session, message_id: int, now: datetime) -> OutboxEntry:
    """Queue a failed or pending message again, due now, with a fresh count of attempts."""
    row = s.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no outbox message {message_id}")
    if row.status in (OutboxStatus.SENT, OutboxStatus.SENDING):
        why = "was already sent" if row.status == OutboxStatus.SENT else "is being sent now"
        raise Conflict(f"outbox message {message_id} {why}: not queued again")
    row.status, row.next_attempt_at, row.attempts = OutboxStatus.PENDING, now, 0
    return _entry(row)


def _entry(row: OutboxMessage) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        status=row.status,
        topic=row.topic,
        target=row.channel_id or row.user_id or row.sink_target or "",
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
    )
