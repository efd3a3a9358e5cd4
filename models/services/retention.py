"""Retention: monitoring observations may be pruned after N days; audit events never are.

Pruning is itself audited (one event per workspace with the count and the cut-off), so the
trail says what was removed and when. Alerts, monitors' last values and lineage are kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.monitor import Observation
from models.services import audit
from models.services.alerts import system


def retention_cutoff(days: int, now: datetime) -> datetime:
    """Observations recorded before this are older than `days` days."""
    return now - timedelta(days=days)


def prune_older_than(s: Session, days: int, now: datetime) -> dict[str, int]:
    """Delete observations older than `days` days at `now`; the count removed per workspace."""
    return prune_observations(s, retention_cutoff(days, now))


def prune_observations(s: Session, older_than: datetime) -> dict[str, int]:
    """Delete observations recorded before `older_than`; the count removed per workspace."""
    counts = dict(
        s.execute(
            select(Observation.team_id, func.count())
            .where(Observation.observed_at < older_than)
            .group_by(Observation.team_id)
        ).all()
    )
    if not counts:
        return {}
    s.execute(delete(Observation).where(Observation.observed_at < older_than))
    for team_id, count in sorted(counts.items()):
        audit.record(
            s, system(team_id), "observations.pruned", count=count, before=older_than.isoformat()
        )
    return {team: int(n) for team, n in counts.items()}
