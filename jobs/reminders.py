"""Sign-off reminders and escalations owed at this minute (rules: models/services/reminders.py).

Claimed per minute by the scheduler so replicas do not all do the same work; the reminders_sent
key, not that claim, is what keeps each reminder to one.
"""

from __future__ import annotations

from datetime import datetime

from jobs.context import JobContext
from models.services import reminders


def run(ctx: JobContext, now: datetime) -> int:
    """Queue every reminder and escalation owed at `now`; returns how many were queued."""
    with ctx.session() as s:
        return reminders.send_due(s, ctx.policy, now)
