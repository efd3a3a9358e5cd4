"""People's display names as Slack gave them, cached so exports read without Slack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, utcnow


class SlackUser(TeamScoped, Base):
    """One person's name; the Slack id stays beside it, as names change and ids do not."""

    __tablename__ = "slack_users"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    tz: Mapped[str | None] = mapped_column(String(64))  # Slack profile's IANA zone
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Absence(TeamScoped, Base):
    """Someone away until a date (inclusive), their sign-offs owed by `delegate` meanwhile."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    until: Mapped[date]
    delegate: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Profile:
    """What Baton reads of a person's Slack profile: their zone, and whether they left."""

    tz: str | None = None
    deleted: bool = False
