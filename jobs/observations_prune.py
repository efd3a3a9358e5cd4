"""Daily: monitoring observations older than BATON_OBSERVATION_RETENTION_DAYS are deleted.

Claimed once a day across replicas by the scheduler, and only when a retention is set (unset
keeps every observation). Audit events are never deleted; the prune itself is audited
(models/services/retention.py), as `baton observations prune` is.
"""

from __future__ import annotations

from datetime import datetime

from jobs.context import JobContext
from models.services import retention


def wanted(ctx: JobContext) -> bool:
    return ctx.observation_retention_days is not None


def run(ctx: JobContext, now: datetime) -> int:
    """Prune what the retention setting lets go; returns how many observations were deleted."""
    if ctx.observation_retention_days is None:
        return 0
    with ctx.session() as s:
        counts = retention.prune_older_than(s, ctx.observation_retention_days, now)
    return sum(counts.values())
