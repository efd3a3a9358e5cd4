"""The weekly roster check: each live project's creator and ML architect lead hear about the
required roles of its next hand-off that nobody leads, and leads who left the workspace.

Claimed once per week across replicas (jobs/registry.py). Who left comes from Slack's
users.info (`deleted`) through ctx.people, outside any transaction; rules in
models/services/roster_health.py.
"""

from __future__ import annotations

from datetime import datetime

from jobs.context import JobContext
from models.services import roster_health


def run(ctx: JobContext, now: datetime) -> int:
    """Queue the week's roster DMs; returns how many were queued."""
    with ctx.session() as s:
        leads = roster_health.leads_everywhere(s)
    departed = {lead for lead in leads if _left(ctx, *lead)}
    with ctx.session() as s:
        return roster_health.send_roster_check(s, ctx.policy, now, departed)


def _left(ctx: JobContext, team_id: str, user_id: str) -> bool:
    profile = ctx.people(team_id, user_id) if ctx.people else None
    return profile is not None and profile.deleted
