"""Which monitors' sources are due for a pull, claimed so racing replicas poll each once.

Claiming moves `next_poll_at` on in one short transaction with SKIP LOCKED; the fetching
(jobs/metrics_pull.py) happens outside any transaction, and its outcome is recorded through
`monitoring.record_observation` or `monitoring.pull_failed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.enums import Stage
from models.monitor import Monitor
from models.project import Project

MIN_POLL_SECONDS = 30


@dataclass(frozen=True)
class DuePull:
    monitor_id: int
    team_id: str
    key: str
    metric: str
    kind: str
    url: str
    query: str


def claim_due_pulls(s: Session, now: datetime, limit: int) -> list[DuePull]:
    """Up to `limit` live monitors with a source whose poll is due, oldest first, claimed: no
    other replica's query sees them as due until their next poll."""
    rows = s.execute(
        select(Monitor, Project)
        .join(Project, Project.id == Monitor.project_id)
        .where(
            Monitor.source_kind.is_not(None),
            Monitor.source_url.is_not(None),
            Monitor.removed_at.is_(None),
            or_(Monitor.next_poll_at.is_(None), Monitor.next_poll_at <= now),
            Project.stage != Stage.ARCHIVED,
        )
        .order_by(Monitor.next_poll_at, Monitor.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Monitor)
    ).all()
    for monitor, _ in rows:
        monitor.next_poll_at = now + timedelta(seconds=max(MIN_POLL_SECONDS, monitor.poll_seconds))
    return [
        DuePull(
            m.id,
            m.team_id,
            p.key,
            m.metric,
            m.source_kind or "",
            m.source_url or "",
            m.source_query or "",
        )
        for m, p in rows
    ]
