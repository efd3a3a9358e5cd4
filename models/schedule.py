"""Scheduled work kept in our own tables: digest schedules, run claims, reminders sent.

APScheduler's job stores must never be shared between processes, so every replica keeps an
in-memory scheduler that only ticks; what is due lives here, and each run is claimed by
inserting a (job, fire_time) row: the replica whose insert loses skips the run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, utcnow
from models.enums import Role
from models.types import str_enum

DEFAULT_DIGEST_CRON = "0 9 * * mon-fri"


class DigestSchedule(TeamScoped, Base):
    __tablename__ = "digest_schedules"
    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    cron: Mapped[str] = mapped_column(String(100), default=DEFAULT_DIGEST_CRON)
    timezone: Mapped[str] = mapped_column(String(64))
    next_run_at: Mapped[datetime]
    # The window "since the last digest" starts here (breaches, approvals, new hand-offs).
    last_sent_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobRun(Base):
    """One claimed run of a scheduled job; the unique key makes each fire time run once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "fire_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    fire_time: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(200))


class ReminderSent(TeamScoped, Base):
    """A reminder or escalation already sent for one role in one round: never twice."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("handoff_id", "round", "role", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    round: Mapped[int]
    role: Mapped[Role] = mapped_column(str_enum(Role))
    kind: Mapped[str] = mapped_column(String(16))  # reminder | escalation
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
