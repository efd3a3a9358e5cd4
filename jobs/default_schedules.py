"""Default digest schedules for new home channels (claimed once a minute by the scheduler)."""

from __future__ import annotations

from datetime import datetime

from jobs.context import JobContext
from models.services import schedules


def run(ctx: JobContext, now: datetime) -> int:
    """Give each new home channel the default schedule; returns how many were created."""
    with ctx.session() as s:
        return schedules.ensure_default_schedules(s, ctx.timezone, now)
