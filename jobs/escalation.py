"""Alert escalation: an alert nobody acknowledged within the delay pings the ML architect lead.

Once per alert, whichever replica ticks first: the alert's escalated_at is claimed by a
conditional update (models/services/alerts.py), so repeated ticks send nothing more.
"""

from __future__ import annotations

from datetime import datetime

from jobs.context import JobContext
from models.services import monitoring


def run(ctx: JobContext, now: datetime) -> int:
    """Queue every escalation owed at `now`; returns how many were queued."""
    with ctx.session() as s:
        return monitoring.escalate_due(s, now, ctx.alert_escalation_minutes)
