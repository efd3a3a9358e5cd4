"""Outbound webhook subscriptions: where Baton POSTs signed events, and which ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, utcnow


class WebhookSubscription(TeamScoped, Base):
    """The secret is kept as given: it is the key Baton signs deliveries with, not a password
    Baton checks, so it cannot be hashed. It is shown once at creation and never listed."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]]
    secret: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
