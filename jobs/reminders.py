"""Sign-off reminders and escalations owed at this minute (rules: models/services/reminders.py).

Claimed per minute by the scheduler so replicas do not all do the same work; the reminders_sent
key, not that claim, is what keeps each reminder to one. People whose Slack time zone is not
cached yet are looked up first (users.info, outside any transaction), so "09:00" is theirs.
"""

from __future__ import annotations

from datetime import datetime

from jobs.context import JobContext
from models.services import reminders, snoozes


def run(ctx: JobContext, now: datetime) -> int:
    """Queue every reminder and escalation owed at `now`; returns how many were queued."""
    if ctx.people is not None:
        with ctx.session() as s:
            wanted = reminders.recipients(s, now)
            unknown = {t: snoozes.people_without_zone(s, t, users) for t, users in wanted.items()}
        ctx.cache_zones(unknown)
    with ctx.session() as s:
        return reminders.send_due(
            s, ctx.policy, now, hours=ctx.working_hours, default_zone=ctx.timezone
        )
