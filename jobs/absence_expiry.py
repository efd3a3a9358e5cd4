"""Every quarter hour: absences whose last day is over (where their person is) are ended, and
their sign-offs handed back as `back` hands them back (rules: models/services/absences.py).

Claimed once per quarter hour across replicas (jobs/registry.py); each absence is also ended by
a conditional update, so it is handed back once however the claims fall. People whose Slack
time zone is not cached yet are looked up first (users.info, outside any transaction), so the
day that ends is theirs.
"""

from __future__ import annotations

from datetime import datetime

from jobs.context import JobContext
from models.services import absences


def run(ctx: JobContext, now: datetime) -> int:
    """End the absences over at `now`; returns how many ended."""
    if ctx.people is not None:
        with ctx.session() as s:
            unknown = absences.without_zone(s, now)
        ctx.cache_zones(unknown)
    with ctx.session() as s:
        return absences.end_expired(s, ctx.policy, now)
