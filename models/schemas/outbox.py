"""The operator's view of one outbox row (`baton outbox list`)."""

from __future__ import annotations

from datetime import datetime

from models.enums import OutboxStatus
from models.schemas.base import View


class OutboxEntry(View):
    id: int
    status: OutboxStatus
    topic: str
    target: str  # the channel, the user or the sink's target
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
