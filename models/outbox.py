"""Messages owed by committed state changes; delivered after commit (to Slack or
a registered sink), retried until sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, utcnow
from models.enums import OutboxStatus
from models.types import str_enum

SLACK_SINK = "slack"


class OutboxMessage(TeamScoped, Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who delivers it: Slack, or a registered non-Slack sink (bot/sinks.py), e.g. "webhook".
    sink: Mapped[str] = mapped_column(String(16), default=SLACK_SINK, server_default=SLACK_SINK)
    # A non-Slack row's place within its sink (e.g. "webhook:3"); order is kept per place.
    sink_target: Mapped[str | None] = mapped_column(String(64))
    # What happened (e.g. "handoff.requested"); the renderer turns it into blocks at send time.
    topic: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))  # a direct message when set
    project_id: Mapped[int | None]
    handoff_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, 16), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The deliverer that holds a 'sending' row; it renews next_attempt_at (the lease) while alive.
    lease_holder: Mapped[str | None] = mapped_column(String(64))
    # Set while a post is on its way and its outcome unknown (a crash, a timeout): the next
    # attempt looks for it in Slack before posting again.
    attempt_started_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When Slack (or the sink) accepted it; NULL for a row sent needing no call (a moot one).
    sent_at: Mapped[datetime | None]


Index("ix_outbox_status_next_attempt", OutboxMessage.status, OutboxMessage.next_attempt_at)
# A person's last published App Home, for its throttle (bot/renderers.py).
Index(
    "ix_outbox_user_topic_sent", OutboxMessage.user_id, OutboxMessage.topic, OutboxMessage.sent_at
)
