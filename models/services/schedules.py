"""Digest schedules: one cron and time zone per channel, and when each is next due.

Next fire times are computed by models/cron.py (APScheduler's CronTrigger as a pure function,
plus the daylight-saving rule) and stored in our own table, so every replica agrees on them (APScheduler's job stores are never shared).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cron import next_fire, normalise
from models.enums import Stage
from models.inserts import dialect_insert, insert_or_ignore
from models.project import Project
from models.schedule import DEFAULT_DIGEST_CRON, DigestSchedule
from models.schemas.base import SYSTEM_USER, Actor
from models.schemas.schedules import ScheduleView
from models.services import audit

# Rows per multi-row INSERT: 8 bound values each stays far under SQLite's variable limit.
INSERT_CHUNK = 500


def set_schedule(
    s: Session, actor: Actor, channel_id: str, cron: str, timezone: str, now: datetime
) -> ScheduleView:
    """Create or replace this channel's digest schedule (one per team and channel).

    The crontab is stored normalised (weekday names), whoever calls: see models/cron.py."""
    cron = normalise(cron)
    next_run = next_fire(cron, timezone, now)
    values = {
        "team_id": actor.team_id,
        "channel_id": channel_id,
        "cron": cron,
        "timezone": timezone,
        "next_run_at": next_run,
        "created_by": actor.user_id,
        "created_at": now,
        "updated_at": now,
    }
    # created_by moves too: a default schedule someone sets is theirs from then on.
    changed = {
        k: values[k] for k in ("cron", "timezone", "next_run_at", "created_by", "updated_at")
    }
    # An upsert, so two people scheduling one channel at once cannot hit the unique key.
    schedule_id = s.execute(
        dialect_insert(s, DigestSchedule)
        .values(values)
        .on_conflict_do_update(index_elements=["team_id", "channel_id"], set_=changed)
        .returning(DigestSchedule.id)
    ).scalar_one()
    schedule = s.get(DigestSchedule, schedule_id, populate_existing=True)
    assert schedule is not None
    audit.record(
        s,
        actor,
        "digest.scheduled",
        channel=channel_id,
        cron=cron,
        timezone=timezone,
        next_run_at=next_run.isoformat(),
    )
    return view_of(schedule)


def list_schedules(s: Session, team_id: str) -> list[ScheduleView]:
    rows = s.scalars(
        select(DigestSchedule)
        .where(DigestSchedule.team_id == team_id)
        .order_by(DigestSchedule.channel_id)
    )
    return [view_of(r) for r in rows]


def schedule_for(s: Session, team_id: str, channel_id: str) -> ScheduleView | None:
    row = s.scalars(
        select(DigestSchedule).where(
            DigestSchedule.team_id == team_id, DigestSchedule.channel_id == channel_id
        )
    ).one_or_none()
    return view_of(row) if row is not None else None


def last_sent(s: Session, team_id: str, channel_id: str) -> datetime | None:
    """When this channel's scheduled digest last went out: where "new since" starts."""
    found = schedule_for(s, team_id, channel_id)
    return found.last_sent_at if found is not None else None


def due_schedules(s: Session, now: datetime) -> list[ScheduleView]:
    """Schedules of every workspace whose next run has come, the longest-waiting first."""
    rows = s.scalars(
        select(DigestSchedule)
        .where(DigestSchedule.next_run_at <= now)
        .order_by(DigestSchedule.next_run_at, DigestSchedule.id)
    )
    return [view_of(r) for r in rows]


def locked_schedule(s: Session, schedule_id: int) -> DigestSchedule | None:
    """The schedule row, locked and re-read: a schedule changed meanwhile (set_schedule) is
    advanced from its new cron, never from the copy read before the change."""
    return s.scalars(
        select(DigestSchedule)
        .where(DigestSchedule.id == schedule_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def is_orphaned_default(s: Session, schedule: DigestSchedule) -> bool:
    """A default schedule whose channel's projects were all archived stays quiet; a schedule
    someone set on purpose always posts."""
    if schedule.created_by != SYSTEM_USER:
        return False
    return not has_live_projects(s, schedule.team_id, schedule.channel_id)


def advance(
    s: Session, schedule: DigestSchedule, fired_at: datetime, now: datetime, *, sent: bool = True
) -> None:
    """Move past the run at `fired_at`. Runs missed while no replica was up are not replayed
    one by one: the next run is the first strictly after both the fired one and now."""
    schedule.next_run_at = next_fire(
        schedule.cron, schedule.timezone, max(fired_at, now), inclusive=False
    )
    if sent:  # a skipped digest leaves its window to the next one
        schedule.last_sent_at = now
    schedule.updated_at = now


def ensure_default_schedules(s: Session, timezone: str, now: datetime) -> int:
    """Give every home channel of a live project the default schedule, unless it has one.

    Safe to run from every replica at once: rows that already exist are left alone.
    """
    missing = _unscheduled_home_channels(s)
    if not missing:
        return 0
    next_run = next_fire(DEFAULT_DIGEST_CRON, timezone, now)
    rows = [_default_row(team, channel, timezone, next_run, now) for team, channel in missing]
    created: list[Any] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        created += s.execute(
            insert_or_ignore(
                s, DigestSchedule, rows[start : start + INSERT_CHUNK], ["team_id", "channel_id"]
            ).returning(DigestSchedule.team_id, DigestSchedule.channel_id)
        ).all()
    for team, channel in created:
        audit.record(
            s,
            Actor.system(team),
            "digest.scheduled",
            channel=channel,
            cron=DEFAULT_DIGEST_CRON,
            timezone=timezone,
            default=True,
        )
    return len(created)


def home_channels(s: Session, team_id: str | None = None) -> list[tuple[str, str]]:
    """(team, channel) of every home channel with at least one live project."""
    query = (
        select(Project.team_id, Project.channel_id)
        .where(Project.stage != Stage.ARCHIVED)
        .distinct()
        .order_by(Project.team_id, Project.channel_id)
    )
    if team_id is not None:
        query = query.where(Project.team_id == team_id)
    return [(team, channel) for team, channel in s.execute(query)]


def has_live_projects(s: Session, team_id: str, channel_id: str) -> bool:
    found = s.scalar(
        select(Project.id)
        .where(
            Project.team_id == team_id,
            Project.channel_id == channel_id,
            Project.stage != Stage.ARCHIVED,
        )
        .limit(1)
    )
    return found is not None


def _unscheduled_home_channels(s: Session) -> list[tuple[str, str]]:
    scheduled = set(s.execute(select(DigestSchedule.team_id, DigestSchedule.channel_id)).all())
    return [pair for pair in home_channels(s) if pair not in scheduled]


def _default_row(
    team: str, channel: str, timezone: str, next_run: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "team_id": team,
        "channel_id": channel,
        "cron": DEFAULT_DIGEST_CRON,
        "timezone": timezone,
        "next_run_at": next_run,
        "created_by": SYSTEM_USER,
        "created_at": now,
        "updated_at": now,
    }


def view_of(row: DigestSchedule) -> ScheduleView:
    return ScheduleView(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        cron=row.cron,
        timezone=row.timezone,
        next_run_at=row.next_run_at,
        last_sent_at=row.last_sent_at,
        created_by=row.created_by,
    )
