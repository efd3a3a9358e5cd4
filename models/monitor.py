"""Monitors on a project's model, their observations, and the alerts a breach opens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, unique_where, utcnow
from models.enums import Role
from models.types import str_enum

OPEN_ALERT_STATUSES = ("open", "acknowledged")


class Monitor(TeamScoped, Base):
    __tablename__ = "monitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    metric: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(3))  # min: alert below; max: alert above
    threshold: Mapped[float] = mapped_column(Float)
    # Who is pinged on a breach: the lead of this role (the data scientist by default).
    owner_role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.DATA_SCIENTIST)
    source_kind: Mapped[str | None] = mapped_column(String(16))  # prometheus | json
    source_url: Mapped[str | None] = mapped_column(Text)
    source_query: Mapped[str | None] = mapped_column(Text)  # PromQL, or a dotted JSON path
    poll_seconds: Mapped[int] = mapped_column(default=300)
    next_poll_at: Mapped[datetime | None]
    last_value: Mapped[float | None] = mapped_column(Float)
    last_observed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)  # a failing source, for the digest
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]


_active = Monitor.removed_at.is_(None)
unique_where(
    "uq_monitors_active_metric",
    Monitor.project_id,
    Monitor.metric,
    where=_active,
)


class Observation(TeamScoped, Base):
    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id"))
    value: Mapped[float] = mapped_column(Float)
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))  # slack | api | pull
    breach: Mapped[bool] = mapped_column(default=False)


Index("ix_observations_monitor_time", Observation.monitor_id, Observation.observed_at)


class Alert(TeamScoped, Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|acknowledged|resolved
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    owner_user: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # Where the alert was posted, so recovery can answer in its thread.
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1)


_open = Alert.status.in_(OPEN_ALERT_STATUSES)
# One open alert per monitor: a second breach while one is open adds no noise.
unique_where(
    "uq_alerts_one_open_per_monitor",
    Alert.monitor_id,
    where=_open,
)
